import type { StoredMessage } from "../contract/stored.js";
import type { Clock, Timer } from "../core/clock.js";
import { MINUTE_MS } from "../core/time.js";

/** Most deferred marks kept before they are written (a replay's batches of marks stay batches). */
export const MAX_LATER_MARKS = 256;
/** Default bound: past the default telemetry interval, so a slot's marks go with the next slot's rows. */
export const LATER_MARKS_MS = 6 * MINUTE_MS;

/**
 * Delivery marks of acknowledged telemetry not written yet: they go with the outbox's next telemetry
 * commit, or with the next mark that cannot wait (an alert's, an event's), or when `maxMs` has passed
 * since the first of them, or at MAX_LATER_MARKS, or at close, whichever comes first. An SD card wears
 * with every commit, and a mark on its own is one (docs/decisions/outbox-disk-writes.md). Until written,
 * the rows are delivered for everything the outbox reports (pending, depth); a kill before the write
 * leaves them undelivered on disk, so they go out again after the restart with the same id: a
 * duplicate the cloud drops, never a loss.
 */
export class LaterMarks {
  readonly #seqs = new Set<number>();
  #timer: Timer | undefined;

  constructor(
    readonly clock: Pick<Clock, "setTimeout">,
    readonly maxMs: number,
    /**
     * Writes every deferred mark now (takes them with `take`). `bulk`: because MAX_LATER_MARKS gathered,
     * which only a replay does; its commit puts the WAL's checkpoint off (OutboxDb.relaxed).
     */
    readonly write: (bulk: boolean) => void,
  ) {}

  get size(): number {
    return this.#seqs.size;
  }

  has(seq: number): boolean {
    return this.#seqs.has(seq);
  }

  /** `read(n)`'s pending rows without those whose mark is deferred here, at most `limit`. */
  without(read: (n: number) => StoredMessage[], limit: number): StoredMessage[] {
    if (this.#seqs.size === 0) return read(limit);
    return read(limit + this.#seqs.size)
      .filter((m) => !this.#seqs.has(m.seq))
      .slice(0, limit);
  }

  /** Defers `seqs`; writes at once past MAX_LATER_MARKS, else starts the time bound. */
  add(seqs: readonly number[]): void {
    for (const s of seqs) this.#seqs.add(s);
    if (this.#seqs.size >= MAX_LATER_MARKS) {
      this.write(true);
      return;
    }
    if (this.#seqs.size > 0)
      this.#timer ??= this.clock.setTimeout(() => {
        this.#timer = undefined;
        this.write(false);
      }, this.maxMs);
  }

  /** Every deferred mark, to write now; they are no longer deferred. */
  take(): number[] {
    this.#timer?.cancel();
    this.#timer = undefined;
    const out = [...this.#seqs];
    this.#seqs.clear();
    return out;
  }
}
