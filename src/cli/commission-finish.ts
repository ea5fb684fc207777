import { CliExit, EXIT } from "./exit.js";
import type { SocketOptions } from "./status.js";

/** `hearth commission finish`: not built yet (docs/installer.md says what it will do). */
export async function commissionFinish(_flags: SocketOptions & { by: string }): Promise<void> {
  await Promise.resolve();
  throw new CliExit(
    EXIT.failed,
    "hearth commission finish: not available yet; run hearth doctor and hearth test-alert",
  );
}
