import type { Delivery, FaultCloud } from "./cloud.js";

/**
 * What the cloud side can tell from the messages it received: alert states by kind, the heartbeats'
 * health, command replies. The scenarios assert on these, as a receiver would.
 */

/** Every delivery of one type, duplicates included, in arrival order per id. */
export function deliveriesOf(cloud: FaultCloud, type: string): Delivery[] {
  return [...cloud.deliveries.values()].flat().filter((d) => d.type === type);
}

/** Alerts of one kind, by alert id: the states the cloud saw for it. */
export function alertStates(cloud: FaultCloud, kind: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of deliveriesOf(cloud, "alert")) {
    if (d.body.kind !== kind) continue;
    const id = String(d.body.alert);
    const states = out.get(id) ?? new Set<string>();
    states.add(String(d.body.state));
    out.set(id, states);
  }
  return out;
}

/** The first alert message of one kind in state `state` (its body), if any. */
export function firstAlert(
  cloud: FaultCloud,
  kind: string,
  state: string,
): Record<string, unknown> | undefined {
  return deliveriesOf(cloud, "alert").find((d) => d.body.kind === kind && d.body.state === state)?.body;
}

export interface StorageHealth {
  state?: string;
  free_mb?: number;
  memory_lane?: number;
  shed_telemetry?: number;
}

/** The storage health of every status (heartbeat) the cloud received, in arrival order per id. */
export function storageHealth(cloud: FaultCloud): StorageHealth[] {
  return deliveriesOf(cloud, "status")
    .map((d) => (d.body.health as { storage?: StorageHealth } | undefined)?.storage)
    .filter((s): s is StorageHealth => s !== undefined);
}

export interface Reply {
  command_id: string;
  command: string;
  status: "ok" | "error";
  data?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** Every reply the cloud received, duplicates included. */
export function replies(cloud: FaultCloud): Reply[] {
  return deliveriesOf(cloud, "reply").map((d) => d.body as unknown as Reply);
}
