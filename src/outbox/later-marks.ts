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
  /**
   * The run of consecutive seqs `#seqs` holds around the first one added, [lo, hi] (empty: hi < lo). A
   * replay's PUBACKs come in publish order, so nearly all of it: the pending read skips it in SQL.
   */
  #lo = 0;
  #hi = -1;
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

  /**
   * `read(n, lo, hi)`'s pending rows (at most n, none with a seq in [lo, hi]) without those whose mark
   * is deferred here, at most `limit`. The run is skipped by the query, not read and thrown away.
   */
  without(read: (n: number, lo: number, hi: number) => StoredMessage[], limit: number): StoredMessage[] {
    if (this.#seqs.size === 0) return read(limit, 0, -1);
    const outside = this.#seqs.size - (this.#hi - this.#lo + 1);
    const rows = read(limit + outside, this.#lo, this.#hi);
    return outside === 0 ? rows : rows.filter((m) => !this.#seqs.has(m.seq)).slice(0, limit);
  }

  /** Defers `seqs`; writes at once past MAX_LATER_MARKS, else starts the time bound. */
  add(seqs: readonly number[]): void {
    for (const s of seqs) this.#note(s);
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
    this.#lo = 0;
    this.#hi = -1;
    return out;
  }

  #note(s: number): void {
    if (this.#seqs.has(s)) return;
    this.#seqs.add(s);
    if (this.#hi < this.#lo) {
      this.#lo = s;
      this.#hi = s;
    } else if (s === this.#lo - 1) {
      this.#lo = s;
      while (this.#seqs.has(this.#lo - 1)) this.#lo--;
    } else if (s === this.#hi + 1) {
      this.#hi = s;
      // One acknowledged out of order before it joins the run now.
      while (this.#seqs.has(this.#hi + 1)) this.#hi++;
    }
  }
}
