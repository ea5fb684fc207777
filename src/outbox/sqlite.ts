import type { AlertBody, Envelope, EventBody, SummaryBody, TelemetryBody } from "../contract/messages.js";
import type { Lane, LaneSeqs, StoredMessage } from "../contract/stored.js";
import { createStamper } from "../contract/timestamps.js";
import type { Clock, Timer } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { Logger } from "../core/log.js";
import { MINUTE_MS, SECOND_MS } from "../core/time.js";
import { SizeBound } from "./bound.js";
import { type Ledger, OutboxDb } from "./db.js";
import * as delivery from "./delivery.js";
import { kvStore } from "./kv.js";
import { emptyLedger } from "./ledger.js";
import { restampQueued } from "./restamp.js";
import type { AlertStateInfo, KeyValueStore, Outbox, ResendResult } from "./types.js";
import { commit, type Draft, draft, type WriteContext } from "./write.js";

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
  log: Logger;
}

/** Telemetry kept in memory while commits fail (disk full, I/O error), in batches. */
const MAX_BUFFERED_BATCHES = 10;
/** Retention is enforced at least this often (and at most once a second). */
const PRUNE_EVERY_MS = 10 * MINUTE_MS;

/**
 * The outbox on SQLite (WAL). Alerts and events are committed with `synchronous = FULL` before their
 * put returns; telemetry, delivery marks and pruning use `NORMAL`, which in WAL mode survives a process
 * crash and loses at most the last commits on power loss (a later FULL commit makes them durable too).
 * This class keeps the telemetry batch, the timers and the write listeners; writing (write.ts), reading
 * and marking (delivery.ts), letting go (bound.ts), re-stamping (restamp.ts) and the kv table (kv.ts)
 * live beside it.
 */
export class SqliteOutbox implements Outbox {
  readonly #o: OutboxOptions;
  readonly #listeners = new Set<() => void>();
  readonly #db: OutboxDb;
  readonly #ledger: Ledger = emptyLedger();
  readonly #bound: SizeBound;
  readonly #write: WriteContext;
  readonly kv: KeyValueStore;
  #buffer: Draft[] = [];
  #flushTimer: Timer | undefined;
  #pruneTimer: Timer | undefined;
  #stampTs: ((ms: number) => string) | undefined;

  constructor(opts: OutboxOptions) {
    this.#o = opts;
    this.#db = new OutboxDb(opts.path);
    this.#bound = new SizeBound(this.#db, this.#ledger, opts);
    this.#write = {
      db: this.#db,
      ledger: this.#ledger,
      bound: this.#bound,
      home: opts.home,
      ids: opts.ids,
      ts: (ms) => this.#ts(ms),
    };
    this.kv = kvStore(this.#db);
  }

  open(): void {
    if (this.#db.isOpen) return;
    Object.assign(this.#ledger, this.#db.open());
    this.prune();
    const every = Math.max(SECOND_MS, Math.min(this.#o.retentionMs, PRUNE_EVERY_MS));
    this.#pruneTimer = this.#o.clock.setInterval(() => this.#safePrune(), every);
    this.#o.log.debug(
      {
        path: this.#o.path,
        lastSeq: this.#ledger.lastSeq,
        sizeBytes: this.#ledger.size,
        depth: this.depth(),
      },
      "Outbox opened",
    );
  }

  close(): void {
    if (!this.#db.isOpen) return;
    this.flush();
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    this.#pruneTimer?.cancel();
    this.#pruneTimer = undefined;
    if (this.#buffer.length > 0)
      this.#o.log.warn({ lost: this.#buffer.length }, "Outbox closed with telemetry it could not commit");
    this.#buffer = [];
    this.#db.close();
  }

  putAlert(body: AlertBody): Envelope<"alert"> {
    return this.#putDurable("alert", body) as Envelope<"alert">;
  }

  putEvent(body: EventBody): Envelope<"event"> {
    return this.#putDurable("event", body) as Envelope<"event">;
  }

  putSummary(body: SummaryBody): Envelope<"summary"> {
    return this.#putDurable("summary", body) as Envelope<"summary">;
  }

  putTelemetry(body: TelemetryBody): void {
    this.#db.need();
    this.#buffer.push(draft("telemetry", body, this.#o.clock));
    if (this.#buffer.length >= this.#o.telemetryBatch) {
      this.flush();
      return;
    }
    this.#flushTimer ??= this.#o.clock.setTimeout(() => {
      this.#flushTimer = undefined;
      this.flush();
    }, this.#o.telemetryFlushMs);
  }

  flush(): void {
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    if (this.#buffer.length === 0 || !this.#db.isOpen) return;
    const drafts = this.#buffer;
    this.#buffer = [];
    try {
      this.#commit(drafts, false);
    } catch (e) {
      // Telemetry may be lost, but not silently, and not by taking the agent down.
      const cap = this.#o.telemetryBatch * MAX_BUFFERED_BATCHES;
      const kept = drafts.slice(Math.max(0, drafts.length - cap));
      this.#buffer = kept;
      this.#o.log.error(
        { err: e, rows: drafts.length, kept: kept.length },
        "Failed to commit telemetry batch; keeping it for the next flush",
      );
    }
  }

  pending(limit: number): StoredMessage[] {
    return delivery.pending(this.#db, limit);
  }

  markDelivered(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    delivery.markDelivered(this.#db, seqs, this.#o.clock.wallMs());
  }

  /**
   * Marks delivered rows undelivered again (the cloud's `resend` command), so the uplink publishes them
   * once more with their original id and seq. Returns how many rows changed.
   */
  requeue(seqs: readonly number[]): number {
    if (seqs.length === 0) return 0;
    const n = delivery.requeue(this.#db, seqs);
    if (n > 0) this.#notify();
    return n;
  }

  openAlerts(): StoredMessage[] {
    return delivery.openAlerts(this.#db);
  }

  alertState(alertId: string): AlertStateInfo | undefined {
    return delivery.alertState(this.#db, alertId);
  }

  deliveredRange(fromSeq: number, toSeq?: number, limit?: number): StoredMessage[] {
    return delivery.deliveredRange(this.#db, fromSeq, toSeq, limit);
  }

  resend(fromSeq: number, toSeq: number | undefined, max: number): ResendResult {
    const r = delivery.resend(this.#db, fromSeq, toSeq, max);
    if (r.requeued > 0) this.#notify();
    return r;
  }

  depth(): Record<Lane, number> {
    return delivery.depth(this.#db);
  }

  lastSeq(): number {
    return this.#ledger.lastSeq;
  }

  laneSeqs(): LaneSeqs {
    return { ...this.#ledger.laneSeq };
  }

  sizeBytes(): number {
    return this.#ledger.size;
  }

  restamp(corrected: (wallMs: number) => number): number {
    const count = restampQueued(this.#db, this.#ledger, this.#buffer, corrected, (ms) => this.#ts(ms));
    if (count > 0) this.#o.log.info({ count }, "Re-stamped queued messages after clock sync");
    return count;
  }

  onWrite(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Deletes delivered rows older than the retention window; returns how many. Runs periodically. */
  prune(): number {
    this.#db.need();
    return this.#bound.prune(this.#o.clock.wallMs());
  }

  #safePrune(): void {
    try {
      this.prune();
    } catch (e) {
      this.#o.log.error({ err: e }, "Outbox prune failed");
    }
  }

  #putDurable(type: "alert" | "event" | "summary", body: unknown): Envelope {
    this.#db.need();
    const [env] = this.#commit([draft(type, body, this.#o.clock)], true);
    return env as Envelope;
  }

  #commit(drafts: readonly Draft[], durable: boolean): Envelope[] {
    const envelopes = commit(this.#write, drafts, durable);
    this.#notify();
    return envelopes;
  }

  #ts(ms: number): string {
    this.#stampTs ??= createStamper(this.#o.timeZone);
    return this.#stampTs(ms);
  }

  #notify(): void {
    for (const l of this.#listeners) {
      try {
        l();
      } catch (e) {
        this.#o.log.error({ err: e }, "Outbox write listener threw");
      }
    }
  }
}
