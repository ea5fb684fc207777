import { createInterface } from "node:readline/promises";
import { loadConfigFile } from "../config/load.js";
import { controlRequest } from "../control/client.js";
import { socketPath } from "../control/socket.js";
import { parseDuration } from "../core/duration.js";
import { decommission } from "../decommission/run.js";
import { awaitResult, writeRequest } from "../privileged/index.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

/** `hearth decommission`: see src/decommission/run.ts and docs/field-operations.md. */
export async function decommissionCommand(opts: {
  config: string;
  yes?: boolean;
  flushTimeout: string;
}): Promise<void> {
  const flushTimeoutMs = parseDuration(opts.flushTimeout);
  if (flushTimeoutMs === undefined || flushTimeoutMs < 0)
    throw new CliExit(
      EXIT.usage,
      `hearth decommission: --flush-timeout ${opts.flushTimeout}: not a duration`,
    );
  const parsed = loadConfigFile(opts.config, loadCatalogue().profiles);
  const stateDir = parsed.ok ? parsed.value.state_dir : "/var/lib/hearth";
  const home = parsed.ok ? parsed.value.home.id : "(config unreadable)";
  if (!opts.yes) {
    if (!process.stdin.isTTY)
      throw new CliExit(
        EXIT.usage,
        "hearth decommission: deletes this home's keys, config and outbox: run with --yes",
      );
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(
      `Decommission home ${home}: delete its keys, config and outbox? Type yes: `,
    );
    rl.close();
    if (answer.trim() !== "yes") throw new CliExit(EXIT.failed, "hearth decommission: nothing changed");
  }
  const socket = socketPath(stateDir);
  const report = await decommission({
    status: async () => {
      try {
        return (await controlRequest(socket, { cmd: "status" })) as {
          outbox?: { depth?: Record<string, number> };
        };
      } catch {
        return undefined;
      }
    },
    notify: () =>
      controlRequest(socket, { cmd: "decommissioned", by: process.env.SUDO_USER ?? process.env.USER ?? "" }),
    erase: () => awaitResult(stateDir, writeRequest(stateDir, "decommission", {}).id, 120_000),
    flushTimeoutMs,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  printJson(report);
  if (!report.ok) throw new CliExit(EXIT.failed, `hearth decommission: ${report.message}`);
  process.stderr.write(
    "Decommissioned. Deleting files on an SD card or eMMC is not erasure: wipe or destroy the card before it leaves the care provider (docs/field-operations.md).\n",
  );
}
