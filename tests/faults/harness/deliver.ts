import { waitFor } from "../../helpers/wait.js";
import type { FaultCloud } from "./cloud.js";
import type { Ledger } from "./ledger.js";

/**
 * Waits until the cloud has every durable alert, event and telemetry row of the ledger. The agent may
 * have reported its outbox drained a moment before the last deliveries reach the subscriber.
 */
export async function deliverAll(cloud: FaultCloud, ledger: Ledger, timeoutMs: number): Promise<void> {
  const missing = () => {
    let n = 0;
    for (const id of ledger.durable()) if (!cloud.deliveries.has(id)) n++;
    for (const id of ledger.durableTelemetry()) if (!cloud.deliveries.has(id)) n++;
    return n;
  };
  await waitFor("every durable message at the cloud", () => missing() === 0, {
    timeoutMs,
    intervalMs: 100,
    detail: () => ({ missing: missing() }),
  }).catch(() => undefined);
}
