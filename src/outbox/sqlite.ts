import { dirname, join } from "node:path";
import type { AlertBody, Envelope, EventBody, SummaryBody, TelemetryBody } from "../contract/messages.js";
import type { Lane, LaneSeqs, StoredMessage } from "../contract/stored.js";
import { createStamper } from "../contract/timestamps.js";
import type { Timer } from "../core/clock.js";
import { SECOND_MS } from "../core/time.js";
import { annotateQueued } from "./annotate.js";
import { Ballast } from "./ballast.js";
import { SizeBound } from "./bound.js";
import { type Checkpointed, type Ledger, OutboxDb } from "./db.js";
import * as delivery from "./delivery.js";
import { DurableGroup } from "./durable-group.js";
import { commitDurable, keepLoss, logDropped } from "./group-writes.js";
import { FailSafeKv } from "./kv.js";
import { LATER_MARKS_MS } from "./later-marks.js";
import { leaveReadOnlyDir } from "./leave-read-only.js";
import { emptyLedger } from "./ledger.js";
import { DeliveryMarks } from "./marks.js";
import { MemoryLane } from "./memory-lane.js";
import type { OutboxOptions } from "./options.js";
import { PruneSchedule } from "./prune-schedule.js";
import { openResilient } from "./recover.js";
import { restampQueued } from "./restamp.js";
import { RuntimeCopy } from "./runtime-copy.js";
import { FULL_DISK_RESERVE, SeqFloor } from "./seq-floor.js";
import { StorageGuard } from "./storage-guard.js";
import type { StorageFault, StorageHealth } from "./storage-health.js";
import { TelemetryPath } from "./telemetry-path.js";
import type { AlertStateInfo, KeyValueStore, Outbox, ResendResult } from "./types.js";
import { type CommitMode, type Committed, commit, type Draft, draft, type WriteContext } from "./write.js";
import { WriteListeners } from "./write-listeners.js";

export type { OutboxOptions } from "./options.js";

/** The ballast file's name beside the outbox. */
export const BALLAST_FILE = "outbox.ballast";
/** How often held messages are written back and the end of a storage fault is looked for. */
export const STORAGE_CHECK_MS = 15 * SECOND_MS;

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
  readonly #listeners: WriteListeners;
  readonly #db: OutboxDb;
  readonly #ledger: Ledger = emptyLedger();
  readonly #bound: SizeBound;
  readonly #write: WriteContext;
  readonly kv: KeyValueStore;
  readonly #kv: FailSafeKv;
  readonly #lane = new MemoryLane();
  readonly #floor: SeqFloor;
  readonly #guard: StorageGuard;
  readonly #group: DurableGroup;
  readonly #telemetry: TelemetryPath;
  readonly #marks: DeliveryMarks;
  readonly #prunes: PruneSchedule;
  #checkTimer: Timer | undefined;
  #stampTs: ((ms: number) => string) | undefined;
  #runtime: RuntimeCopy | undefined;

  constructor(opts: OutboxOptions) {
    this.#o = opts;
    this.#listeners = new WriteListeners(opts.log);
    this.#db = new OutboxDb(opts.path);
    this.#bound = new SizeBound(this.#db, this.#ledger, opts);
    this.#prunes = new PruneSchedule(opts, this.#bound);
    this.#write = {
      db: this.#db,
      ledger: this.#ledger,
      bound: this.#bound,
      home: opts.home,
      ids: opts.ids,
      ts: (ms) => this.#ts(ms),
    };
    const onDisk = opts.path !== ":memory:";
    this.#floor = new SeqFloor(onDisk ? opts.path : undefined, opts.log);
    this.#group = new DurableGroup(this.#db, {
      may: () => this.#lane.size === 0 && this.#kv.held === 0,
      size: () => this.#ledger.size,
      commitFailed: (e) => this.#guard.groupFailed(e),
      failed: (e) => this.#guard.failed(e, "durable group"),
      lost: (loss, e) =>
        keepLoss(
          {
            ledger: this.#ledger,
            bound: this.#bound,
            floor: this.#floor,
            lane: this.#lane,
            kv: this.#kv,
            log: opts.log,
            notify: () => this.#listeners.notify(),
          },
          loss,
          e,
        ),
    });
    this.#kv = new FailSafeKv(this.#db, opts.log, (e) => this.#guard.failed(e, "kv"), this.#group);
    this.kv = this.#kv;
    // A held burst commits up to the hold after its first row: a mark waits for it, past the next slot.
    const laterMs = opts.laterMarksMs ?? LATER_MARKS_MS + (opts.telemetryHoldMs ?? 0);
    // A burst's rows held in memory take their marks there (telemetry-path.ts), the memory lane's too.
    const held = {
      markDelivered: (seqs: readonly number[]) =>
        this.#telemetry.markDelivered(this.#lane.markDelivered(seqs)),
    };
    this.#marks = new DeliveryMarks(this.#db, held, opts.clock, laterMs, (e, what) =>
      this.#guard.failed(e, what),
    );
    // Deferred delivery marks ride in the telemetry commits (later-marks.ts).
    this.#telemetry = new TelemetryPath({
      o: opts,
      write: this.#write,
      floor: this.#floor,
      later: this.#marks.later,
      notify: () => this.#listeners.notify(),
      failed: (e) => this.#guard.failed(e, "telemetry"),
      commitBatch: (drafts, inside) => {
        this.#commit(drafts, "relaxed", this.#marks.later.take(), inside);
      },
      prune: () => this.#prunes.inside(),
    });
    const ballastBytes = opts.ballastBytes ?? 0;
    this.#guard = new StorageGuard({
      db: this.#db,
      ledger: this.#ledger,
      bound: this.#bound,
      lane: this.#lane,
      kv: () => this.#kv,
      ballast:
        onDisk && ballastBytes > 0
          ? new Ballast(join(dirname(opts.path), BALLAST_FILE), ballastBytes, opts.log)
          : undefined,
      dir: onDisk ? dirname(opts.path) : undefined,
      log: opts.log,
      commit: (d) => commitDurable(this.#group, d, (drafts, mode) => this.#commit(drafts, mode)),
      hold: (d) => this.#hold(d),
      reserve: () => this.#floor.cover(this.#ledger.lastSeq + FULL_DISK_RESERVE),
      written: () => {
        if (this.#lane.size === 0) this.#floor.released();
        this.#listeners.notify();
      },
      leaveReadOnlyDir: () => leaveReadOnlyDir(this.#db, this.#runtime, opts.log),
    });
  }

  /**
   * Opens the file, or, when it is corrupt, unwritable or unreadable, whatever lets the agent run
   * (see recover.ts); never throws for storage. A fault found here is reported through `onStorage`.
   */
  open(): void {
    if (this.#db.isOpen) return;
    const { runtimeDir, path } = this.#o;
    this.#runtime =
      runtimeDir !== undefined && path !== ":memory:" ? new RuntimeCopy(runtimeDir, path) : undefined;
    const opened = openResilient(this.#db, this.#floor, this.#o.clock.wallMs(), this.#o.log, this.#runtime);
    Object.assign(this.#ledger, opened.ledger);
    this.#telemetry.opened();
    this.#guard.started(opened);
    this.#prunes.start();
    this.#checkTimer = this.#o.clock.setInterval(() => this.checkStorage(), STORAGE_CHECK_MS);
    this.#o.log.debug(
      {
        path: this.#o.path,
        lastSeq: this.#ledger.lastSeq,
        sizeBytes: this.#ledger.size,
        depth: this.depth(),
        storage: this.#guard.state,
      },
      "Outbox opened",
    );
  }

  close(): void {
    if (!this.#db.isOpen) return;
    this.#settle();
    this.#telemetry.release();
    this.#prunes.stop();
    this.#checkTimer?.cancel();
    this.#checkTimer = undefined;
    const lost = this.#telemetry.drop();
    if (lost > 0) this.#o.log.warn({ lost }, "Outbox closed with telemetry it could not commit");
    this.checkStorage();
    const held = this.#lane.depth();
    if (this.#lane.size > 0)
      this.#o.log.error(
        { held: this.#lane.size, undelivered: held },
        "Outbox closed with messages held in memory: the disk never took them",
      );
    try {
      this.#db.close();
    } catch (e) {
      this.#o.log.error({ err: e }, "Outbox close failed");
    }
  }

  durably<T>(fn: () => T): T {
    return this.#db.withoutCheckpoints(() => this.#group.run(fn));
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

  /** Numbered and published at once, or batched (telemetry-path.ts). */
  putTelemetry(body: TelemetryBody): void {
    this.#db.need();
    this.#telemetry.put(draft("telemetry", body, this.#o.clock));
  }

  flush(): void {
    if (this.#db.isOpen) this.#telemetry.flush();
    else this.#telemetry.cancel();
  }

  /** Commits the burst and writes the deferred marks: for what reads or changes delivered rows. */
  #settle(): void {
    this.flush();
    this.markDelivered([]);
  }

  /**
   * Held messages first (they are on no disk), then the stored ones; alerts first in each. Rows whose
   * delivery mark is deferred are delivered already.
   */
  pending(limit: number): StoredMessage[] {
    const held = this.#lane.pending(limit);
    if (held.length >= limit) return held;
    try {
      return this.#telemetry.pending([...held, ...this.#marks.pending(limit - held.length)], limit);
    } catch (e) {
      this.#o.log.error({ err: e }, "Outbox read failed");
      return held;
    }
  }

  markDelivered(seqs: readonly number[]): void {
    this.#marks.now(seqs);
  }

  /** Telemetry's marks: written with the next commit, or later-marks.ts's bound (a kill: duplicates). */
  markDeliveredLater(seqs: readonly number[]): void {
    this.#marks.defer(seqs);
  }

  /** A replay is over: the checkpoint its marks put off, now (marks.ts); what it copied. */
  settle(): Checkpointed | undefined {
    return this.#marks.settle();
  }

  /**
   * Marks delivered rows undelivered again (the cloud's `resend` command), so the uplink publishes them
   * once more with their original id and seq. Returns how many rows changed.
   */
  requeue(seqs: readonly number[]): number {
    if (seqs.length === 0) return 0;
    this.#settle();
    const n = delivery.requeue(this.#db, seqs);
    if (n > 0) this.#listeners.notify();
    return n;
  }

  openAlerts(): StoredMessage[] {
    return this.#lane.openAlerts(delivery.openAlerts(this.#db));
  }

  alertState(alertId: string): AlertStateInfo | undefined {
    return this.#lane.alertState(alertId, delivery.alertState(this.#db, alertId));
  }

  deliveredRange(fromSeq: number, toSeq?: number, limit?: number): StoredMessage[] {
    this.#settle();
    return delivery.deliveredRange(this.#db, fromSeq, toSeq, limit);
  }

  resend(fromSeq: number, toSeq: number | undefined, max: number): ResendResult {
    this.#settle();
    const r = delivery.resend(this.#db, fromSeq, toSeq, max);
    if (r.requeued > 0) this.#listeners.notify();
    return r;
  }

  depth(): Record<Lane, number> {
    const d = delivery.depth(this.#db);
    d.telemetry = Math.max(0, d.telemetry - this.#marks.later.size) + this.#telemetry.undelivered();
    return this.#lane.depth(d);
  }

  /** Storage health for the heartbeat and `hearth status`. */
  storageHealth(): StorageHealth {
    return this.#guard.health();
  }

  /** A storage fault (raise the `storage` alert) and its end (undefined: clear it); after the write. */
  onStorage(listener: (fault: StorageFault | undefined) => void): () => void {
    return this.#guard.onChange(listener);
  }

  /** Writes held messages back and looks for the end of a storage fault; runs every STORAGE_CHECK_MS. */
  checkStorage(): void {
    try {
      this.#guard.check();
    } catch (e) {
      this.#o.log.error({ err: e }, "Storage check failed");
    }
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
    this.#telemetry.flushBurst();
    const count = restampQueued(this.#db, this.#ledger, this.#telemetry.drafts, corrected, (ms) =>
      this.#ts(ms),
    );
    if (count > 0) this.#o.log.info({ count }, "Re-stamped queued messages after clock sync");
    return count;
  }

  onWrite(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  /** Adds `key: value` to a queued alert's evidence (annotate.ts); false once it is delivered or gone. */
  annotateQueued(seq: number, key: string, value: unknown): boolean {
    return annotateQueued(
      { db: this.#db, ledger: this.#ledger, lane: this.#lane, log: this.#o.log },
      seq,
      key,
      value,
    );
  }

  /** Deletes delivered rows older than the retention window; returns how many. Runs periodically. */
  prune(): number {
    this.#db.need();
    return this.#bound.prune(this.#o.clock.wallMs());
  }

  #putDurable(type: "alert" | "event" | "summary", body: unknown): Envelope {
    this.#db.need();
    return this.#guard.put(draft(type, body, this.#o.clock));
  }

  #commit(
    drafts: readonly Draft[],
    mode: CommitMode,
    marks: number[] = [],
    inside?: (seq: number, laneSeq: LaneSeqs) => number,
  ): Committed {
    try {
      this.#floor.cover(this.#ledger.lastSeq + drafts.length);
      const committed = commit(this.#write, drafts, mode, marks.length > 0 ? marks : undefined, inside);
      this.#listeners.notify();
      return committed;
    } catch (e) {
      this.#marks.later.add(marks);
      throw e;
    }
  }

  /** Into the memory lane with the next seq: the uplink publishes it from there. */
  #hold(d: Draft): Envelope {
    this.#floor.cover(this.#ledger.lastSeq + 1);
    this.#floor.holding();
    const { envelope, dropped } = this.#lane.hold(d, this.#ledger, this.#write);
    if (dropped) logDropped(this.#o.log, this.#lane, dropped);
    this.#listeners.notify();
    return envelope;
  }

  #ts(ms: number): string {
    this.#stampTs ??= createStamper(this.#o.timeZone);
    return this.#stampTs(ms);
  }
}
