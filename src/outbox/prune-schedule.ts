import type { Clock, Timer } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { HOUR_MS, SECOND_MS } from "../core/time.js";
import type { SizeBound } from "./bound.js";

/**
 * Retention is enforced at least this often (and at most once a second). Hourly, not more often: every
 * prune that deletes rows writes page 1, the freed leaves' parent and the freelist whatever it deletes,
 * and a 7-day retention kept to the hour is kept (docs/decisions/outbox-disk-writes.md).
 */
export const PRUNE_EVERY_MS = HOUR_MS;

/**
 * When the outbox lets rows past retention go. Once a home is older than its retention every period has
 * rows to delete, and a delete is a commit, with page 1, the table's pages and the freelist: so a due
 * prune rides in the next telemetry commit (`inside`) when the last period had one (a home makes one
 * every few minutes), and runs on its own at the tick when the last period had none, or when the one it
 * waited for did not come (docs/decisions/outbox-disk-writes.md).
 */
export class PruneSchedule {
  #timer: Timer | undefined;
  #due = false;
  /** A telemetry commit since the last tick. */
  #commits = false;

  constructor(
    readonly o: { clock: Clock; retentionMs: number; log: Logger },
    readonly bound: SizeBound,
  ) {}

  /** Prunes now (at open), then every period. */
  start(): void {
    this.now();
    const every = Math.max(SECOND_MS, Math.min(this.o.retentionMs, PRUNE_EVERY_MS));
    this.#timer = this.o.clock.setInterval(() => {
      if (this.#due || !this.#commits) this.now();
      else this.#due = true;
      this.#commits = false;
    }, every);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** A transaction of its own (or several); never throws. Returns the rows deleted. */
  now(): number {
    this.#due = false;
    try {
      return this.bound.prune(this.o.clock.wallMs());
    } catch (e) {
      this.o.log.error({ err: e }, "Outbox prune failed");
      return 0;
    }
  }

  /**
   * Inside a telemetry commit's transaction: one chunk when a prune is due. Returns the accounted bytes
   * deleted (the commit takes them off its size). A rolled-back commit deleted nothing: the next period
   * prunes again.
   */
  inside(): number {
    this.#commits = true;
    if (!this.#due) return 0;
    const r = this.bound.pruneChunk(this.o.clock.wallMs());
    this.#due = r.more;
    return r.freed;
  }
}
