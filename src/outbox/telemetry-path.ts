import type { LaneSeqs, StoredMessage } from "../contract/stored.js";
import type { Timer } from "../core/clock.js";
import { TelemetryBurst } from "./burst.js";
import type { LaterMarks } from "./later-marks.js";
import type { OutboxOptions } from "./options.js";
import type { SeqFloor } from "./seq-floor.js";
import { TelemetryBuffer } from "./telemetry-buffer.js";
import type { Draft, WriteContext } from "./write.js";

export interface TelemetryPathDeps {
  o: Pick<OutboxOptions, "clock" | "telemetryBatch" | "telemetryFlushMs" | "telemetryHoldMs" | "log">;
  write: WriteContext;
  floor: SeqFloor;
  later: LaterMarks;
  /** The write listeners (the uplink drains what is new). */
  notify: () => void;
  /** A telemetry write failed (the storage fault is the outbox's to report). */
  failed: (err: unknown) => void;
  /**
   * Commits a batch of unnumbered drafts with the deferred marks, calling `inside` in its transaction
   * (which returns the accounted bytes it deleted).
   */
  commitBatch: (drafts: Draft[], inside: (seq: number, laneSeq: LaneSeqs) => number) => void;
  /** Inside every telemetry commit: a due prune (prune-schedule.ts); the accounted bytes it deleted. */
  prune: () => number;
}

/**
 * Telemetry on its way to the disk: under the burst's reserve a row is numbered and published at once and
 * committed at the end of the flush window, delivered when acknowledged by then (burst.ts); past the
 * reserve, or behind a row that was not, it waits unnumbered in the batch as before (telemetry-buffer.ts),
 * whose commit moves the reserve on. A kill loses either: one flush window of telemetry at most, or,
 * of a burst the cloud acknowledged whole, the local copy of up to `telemetryHoldMs` (below).
 *
 * Holding an acknowledged burst: at the end of the flush window a burst whose every row the cloud has
 * acknowledged is not committed yet but kept until `telemetryHoldMs` after its first row, gathering the
 * next slots' bursts, so that several slots share one commit (docs/decisions/outbox-disk-writes.md,
 * fifth round: each commit writes the file's header page, `meta` and the table's interior page again,
 * and the 4 KiB block the previous commit ended in). A row not acknowledged by its flush window commits
 * the whole burst then, as before: what the cloud does not have waits no longer than it did.
 */
export class TelemetryPath {
  readonly #d: TelemetryPathDeps;
  readonly #burst: TelemetryBurst;
  readonly #buffer: TelemetryBuffer;
  #timer: Timer | undefined;
  /** When the pending check runs (monotonic ms): a row put sooner than that brings it forward. */
  #checkAt = 0;
  /** When the burst's first row was put (monotonic ms). */
  #heldSince: number | undefined;

  constructor(d: TelemetryPathDeps) {
    this.#d = d;
    // Numbers ahead: two batches, so that alerts between two bursts do not use them up.
    this.#burst = new TelemetryBurst(2 * d.o.telemetryBatch);
    const batch = (drafts: Draft[]) => {
      // A burst whose commit failed goes first: its rows have the lower numbers.
      this.#flushBurst();
      d.commitBatch(drafts, (seq, laneSeq) => {
        this.#burst.writeReserve(d.write.db, seq, laneSeq);
        return d.prune();
      });
      this.#burst.committed(d.write.ledger.lastSeq, d.write.ledger.laneSeq, false);
    };
    this.#buffer = new TelemetryBuffer(d.o, batch, d.failed);
  }

  /** The unnumbered drafts (re-stamped after a clock sync; the burst is committed first). */
  get drafts(): readonly Draft[] {
    return this.#buffer.drafts;
  }

  /** At open, on the counters just read: skips a reserve a killed run left (burst.ts). */
  opened(): void {
    const { db, ledger } = this.#d.write;
    const skipped = this.#burst.opened(db, ledger);
    if (skipped)
      this.#d.o.log.warn(
        { reserve_seq: skipped.seq, reserve_lane_seq: skipped.laneSeq },
        "The last run stopped with telemetry published and not committed: seq and telemetry lane_seq go on above it",
      );
  }

  put(d: Draft): void {
    const { ledger } = this.#d.write;
    if (this.#buffer.drafts.length > 0 || !this.#burst.covers(ledger)) {
      this.#buffer.add(d);
      return;
    }
    this.#d.floor.cover(ledger.lastSeq + 1);
    this.#burst.hold(d, ledger, this.#d.write);
    const now = this.#d.o.clock.monotonicMs();
    this.#heldSince ??= now;
    this.#checkBy(now + this.#d.o.telemetryFlushMs);
    this.#d.notify();
    if (this.#burst.size >= this.#d.o.telemetryBatch) this.#flushBurst();
  }

  /** Runs the burst's check at `at` at the latest. */
  #checkBy(at: number): void {
    if (this.#timer && this.#checkAt <= at) return;
    this.#timer?.cancel();
    this.#checkAt = at;
    this.#timer = this.#d.o.clock.setTimeout(
      () => this.#check(),
      Math.max(0, at - this.#d.o.clock.monotonicMs()),
    );
  }

  /** The end of a flush window: commit, or keep holding a burst the cloud has acknowledged whole. */
  #check(): void {
    this.#timer = undefined;
    const holdMs = this.#d.o.telemetryHoldMs ?? 0;
    const until = (this.#heldSince ?? 0) + holdMs;
    if (
      holdMs > 0 &&
      this.#burst.size > 0 &&
      this.#burst.undelivered() === 0 &&
      this.#d.o.clock.monotonicMs() < until
    )
      this.#checkBy(until);
    else this.#flushBurst();
  }

  /** Commits the burst, then the batch. */
  flush(): void {
    this.#flushBurst();
    this.#buffer.flush();
  }

  /** Only the burst (before a clock sync re-stamps what is on disk and in the batch). */
  flushBurst(): void {
    this.#flushBurst();
  }

  cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#buffer.cancel();
  }

  /** Forgets what is not committed (the outbox closes); returns how many rows. */
  drop(): number {
    this.cancel();
    this.#heldSince = undefined;
    return this.#buffer.drop() + this.#burst.drop();
  }

  /** At a clean stop, after the last commit: the next start has no reserve to skip. */
  release(): void {
    if (this.#burst.size > 0 || this.#buffer.drafts.length > 0) return;
    try {
      this.#burst.release(this.#d.write.db);
    } catch (e) {
      this.#d.o.log.warn({ err: e }, "Could not release the telemetry reserve: the next start skips it");
    }
  }

  /** `stored` (pending rows on disk or held) and, when there is room, the burst's unacknowledged rows. */
  pending(stored: StoredMessage[], limit: number): StoredMessage[] {
    if (this.#burst.size === 0 || stored.length >= limit) return stored;
    return [...stored, ...this.#burst.pending(limit - stored.length)];
  }

  /** Marks burst rows delivered; returns the seqs that are not in the burst. */
  markDelivered(seqs: readonly number[]): number[] {
    return this.#burst.markDelivered(seqs);
  }

  undelivered(): number {
    return this.#burst.undelivered();
  }

  #flushBurst(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#burst.size === 0) return;
    const { later } = this.#d;
    const marks = later.take();
    try {
      this.#burst.commit(this.#d.write, marks, this.#d.prune);
      this.#heldSince = undefined;
      this.#d.notify();
    } catch (e) {
      // Held for the next flush; past the reserve new telemetry is batched unnumbered, as before.
      later.add(marks);
      this.#d.o.log.error({ err: e, rows: this.#burst.size }, "Failed to commit telemetry burst; holding it");
      this.#d.failed(e);
    }
  }
}
