/** Why storage is not healthy: what the `storage` alert's evidence names as `reason`. */
export type StorageFaultReason = "full" | "io_error" | "read_only" | "corrupt" | "io";

/**
 * - `ok`: writes work, with room to spare (the ballast is in place).
 * - `degraded`: writes work, but the disk was found full (telemetry shed, ballast spent) or the file
 *   was replaced at the start; not yet back to normal.
 * - `memory`: writes fail; alerts and events are held in memory and published from there.
 * - `read_only`: the outbox could not be used at the start; the agent runs on a copy in memory.
 */
export type StorageState = "ok" | "degraded" | "memory" | "read_only";

/** What the heartbeat and `hearth status` carry about storage. */
export interface StorageHealth {
  state: StorageState;
  /** Free space in the state directory, MiB (absent when it cannot be measured). */
  free_mb?: number;
  /** Messages held in memory, not yet written to disk. */
  memory_lane: number;
  /** Undelivered telemetry rows deleted to make room, since start. */
  shed_telemetry: number;
}

/** A storage problem as the `storage` alert reports it. */
export interface StorageFault {
  reason: StorageFaultReason;
  detail: string;
  free_bytes?: number;
  memory_lane: number;
  /** Where a corrupt outbox file was moved. */
  moved_to?: string;
}
