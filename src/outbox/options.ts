import type { Clock } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { Logger } from "../core/log.js";

export interface OutboxOptions {
  /** Database file, or ":memory:". */
  path: string;
  home: string;
  /** IANA zone of the home, for the offset in `ts`. */
  timeZone: string;
  clock: Clock;
  ids: IdSource;
  maxSizeBytes: number;
  /** Delivered rows older than this (wall time of the message) are pruned. */
  retentionMs: number;
  telemetryBatch: number;
  telemetryFlushMs: number;
  /**
   * How long a telemetry burst the cloud acknowledged whole may wait in memory for the next slots'
   * before its commit (telemetry-path.ts). Default 0: committed at the end of its flush window.
   */
  telemetryHoldMs?: number;
  /**
   * Longest a deferred telemetry delivery mark waits for a commit to ride in (later-marks.ts). Default:
   * LATER_MARKS_MS past `telemetryHoldMs`.
   */
  laterMarksMs?: number;
  /** Bytes of the ballast file kept beside the outbox for a full disk (0: none). Default 0. */
  ballastBytes?: number;
  /**
   * A directory that outlives the process but not a reboot (the service's runtime directory, tmpfs):
   * where a run on a read-only state directory keeps its outbox (see runtime-copy.ts). None: memory.
   */
  runtimeDir?: string;
  log: Logger;
}
