import { expect } from "vitest";
import { waitFor } from "../../helpers/wait.js";
import { startAgent } from "./agent-process.js";
import type { ChildOptions } from "./child-options.js";
import type { FaultCloud } from "./cloud.js";
import { deliverAll } from "./deliver.js";
import type { Ledger } from "./ledger.js";
import { alertStates, deliveriesOf, storageHealth } from "./observed.js";

/**
 * The last life of a storage scenario, on storage that works again: it must say `ok` in a heartbeat,
 * drain, have everything delivered and stop cleanly; then the ledger reads the outbox file it left.
 */
export async function healthyLastLife(
  options: ChildOptions,
  ledger: Ledger,
  cloud: FaultCloud,
  drainMs = 60_000,
): Promise<void> {
  const life = await startAgent(options, ledger);
  try {
    await waitFor("a heartbeat saying storage is ok", () => storageHealth(cloud).at(-1)?.state === "ok", {
      timeoutMs: 30_000,
      detail: () => ({ last: storageHealth(cloud).at(-1), stderr: life.stderr().slice(-2000) }),
    });
    await life.drain(drainMs);
    await deliverAll(cloud, ledger, 30_000);
    expect(await life.stop()).toBe(0);
  } finally {
    await life.kill();
  }
  ledger.readOutbox(options.stateDir);
}

/** The `storage` alerts the cloud saw: how many were raised, how many cleared, and those still open. */
export function storageAlertTally(cloud: FaultCloud): { raised: number; cleared: number; open: number } {
  const storage = [...alertStates(cloud, "storage").values()];
  return {
    raised: storage.filter((s) => s.has("raised")).length,
    cleared: storage.filter((s) => s.has("cleared")).length,
    open: storage.filter((s) => !s.has("cleared")).length,
  };
}

/** `storage` alerts raised with `reason: read_only` in their evidence. */
export function readOnlyAlerts(cloud: FaultCloud) {
  return deliveriesOf(cloud, "alert").filter(
    (d) =>
      d.body.kind === "storage" &&
      d.body.state === "raised" &&
      (d.body.evidence as { reason?: string } | undefined)?.reason === "read_only",
  );
}
