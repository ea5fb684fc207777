import type {
  AlertBody,
  AlertKind,
  AlertState,
  Envelope,
  EventBody,
  SummaryBody,
  TelemetryBody,
} from "../contract/messages.js";
import type { Lane, LaneSeqs, StoredMessage } from "../contract/stored.js";

/** The outbox's file name in the agent's state directory. */
export const OUTBOX_FILE = "outbox.db";

/** The last known state of one alert, for the pipeline after a restart. */
export interface AlertStateInfo {
  kind: AlertKind;
  state: AlertState;
  device?: string;
  /** seq of the first message of this alert (normally its `raised`). */
  raisedSeq: number;
}

/** What one `resend` did: the reply's data. */
export interface ResendResult {
  /** Rows requeued by this command. */
  requeued: number;
  /** The last seq requeued, when any was. */
  through_seq?: number;
  /** Where the next `resend` continues, or null when the range is done. */
  next_from_seq: number | null;
}

/** A small durable key/value store next to the messages (BLE counters, learned routine blobs). */
export interface KeyValueStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/**
 * The single source of truth for what must reach the cloud. Envelope fields (id, seq, ts, clock) are
 * fixed at the write; a row is marked delivered only after the broker acknowledged it.
 */
export interface Outbox {
  open(): void;
  /** Flushes pending telemetry, then closes. Idempotent. */
  close(): void;
  /**
   * Runs `fn`; the alerts, events and kv values it writes are one transaction, committed with one fsync
   * when the outermost `durably` returns (durable-group.ts). If it fails, its rows are held in memory with
   * their ids and seqs and go out from there; the storage fault is reported as for any failed write.
   */
  durably<T>(fn: () => T): T;
  /**
   * Durable on disk before it returns; inside `durably`, when the outermost `durably` returns (and
   * before anything is published).
   */
  putAlert(body: AlertBody): Envelope<"alert">;
  /** Durable on disk before it returns; events are never dropped. */
  putEvent(body: EventBody): Envelope<"event">;
  /** Event lane. */
  putSummary(body: SummaryBody): Envelope<"summary">;
  /** Buffered; committed in batches (by count or by time). */
  putTelemetry(body: TelemetryBody): void;
  /** Commits buffered telemetry now. */
  flush(): void;
  /**
   * Undelivered messages: alerts, then events, then telemetry, each oldest (seq) first; rows requeued by
   * a resend come after all of them, in the same order.
   */
  pending(limit: number): StoredMessage[];
  /**
   * Call only after the broker's PUBACK. Unknown seqs are ignored. Writes the deferred marks of
   * `markDeliveredLater` with these (an empty call writes only those).
   */
  markDelivered(seqs: readonly number[]): void;
  /**
   * Telemetry's marks, after the PUBACK: written with the next telemetry commit or the next
   * `markDelivered`, at most a bound later (later-marks.ts); until then the rows count as delivered.
   * A kill before the write sends them again after the restart, with the same id.
   */
  markDeliveredLater(seqs: readonly number[]): void;
  /** Delivered rows become undelivered again, to be sent once more (same envelope), after fresh ones. */
  requeue(seqs: readonly number[]): number;
  /** The latest state message of each alert whose latest state is not cleared/acknowledged, by seq. */
  openAlerts(): StoredMessage[];
  alertState(alertId: string): AlertStateInfo | undefined;
  /** Delivered messages still held (retention window), by seq, at most `limit` (default and cap MAX_RANGE). */
  deliveredRange(fromSeq: number, toSeq?: number, limit?: number): StoredMessage[];
  /**
   * The cloud's `resend`: requeues at most `max` (cap MAX_RESEND) delivered rows from `fromSeq`; they
   * drain after fresh messages, with their id, seq and lane_seq. Throws `CommandBusy` while rows of an
   * earlier resend are still pending: one resend at a time.
   */
  resend(fromSeq: number, toSeq: number | undefined, max: number): ResendResult;
  /** Undelivered committed rows per lane. */
  depth(): Record<Lane, number>;
  /** The highest seq ever assigned (0 before the first message). */
  lastSeq(): number;
  /** The highest lane_seq ever assigned per lane (0 before the first of the lane). */
  laneSeqs(): LaneSeqs;
  /** Logical size of the stored messages (payload bytes plus a fixed per-row overhead). */
  sizeBytes(): number;
  /**
   * After a clock sync: rewrites ts/clock of queued (undelivered or buffered) rows stamped while the
   * clock was unsynced; never id or seq. Returns how many were rewritten.
   */
  restamp(corrected: (wallMs: number) => number): number;
  /** Called after something new is committed; returns the unsubscribe function. */
  onWrite(listener: () => void): () => void;
  readonly kv: KeyValueStore;
}
