import type { Clock, Timer } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { Draft } from "./write.js";

/** Telemetry kept in memory while commits fail (disk full, I/O error), in batches. */
const MAX_BUFFERED_BATCHES = 10;

export interface TelemetryBufferOptions {
  clock: Clock;
  /** Rows that commit at once, without waiting for the timer. */
  telemetryBatch: number;
  /** How long the first row of a batch waits for others. */
  telemetryFlushMs: number;
  log: Logger;
}

/**
 * Telemetry drafts waiting for their batch's commit (by count or by time): a kill loses at most these.
 * A failed commit keeps the newest rows (up to MAX_BUFFERED_BATCHES batches) for the next flush.
 */
export class TelemetryBuffer {
  #drafts: Draft[] = [];
  #timer: Timer | undefined;

  constructor(
    readonly o: TelemetryBufferOptions,
    /** Commits the rows in one transaction; throws when it could not. */
    readonly commit: (drafts: Draft[]) => void,
    /** A commit failed (logged here): the storage fault is the outbox's to report. */
    readonly failed: (err: unknown) => void,
  ) {}

  /** The rows not yet committed (the outbox re-stamps them after a clock sync). */
  get drafts(): readonly Draft[] {
    return this.#drafts;
  }

  add(d: Draft): void {
    this.#drafts.push(d);
    if (this.#drafts.length >= this.o.telemetryBatch) {
      this.flush();
      return;
    }
    this.#timer ??= this.o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.o.telemetryFlushMs);
  }

  flush(): void {
    this.cancel();
    if (this.#drafts.length === 0) return;
    const drafts = this.#drafts;
    this.#drafts = [];
    try {
      this.commit(drafts);
    } catch (e) {
      // Telemetry may be lost, but not silently, and not by taking the agent down.
      const cap = this.o.telemetryBatch * MAX_BUFFERED_BATCHES;
      const kept = drafts.slice(Math.max(0, drafts.length - cap));
      this.#drafts = kept;
      this.o.log.error(
        { err: e, rows: drafts.length, kept: kept.length },
        "Failed to commit telemetry batch; keeping it for the next flush",
      );
      this.failed(e);
    }
  }

  cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Forgets the rows (the outbox closes); returns how many there were. */
  drop(): number {
    this.cancel();
    const n = this.#drafts.length;
    this.#drafts = [];
    return n;
  }
}
