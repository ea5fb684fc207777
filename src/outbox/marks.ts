import type { StoredMessage } from "../contract/stored.js";
import type { Clock } from "../core/clock.js";
import type { Checkpointed, OutboxDb } from "./db.js";
import * as delivery from "./delivery.js";
import { LaterMarks } from "./later-marks.js";
import type { MemoryLane } from "./memory-lane.js";

/**
 * The outbox's delivery marks: written at once (one transaction per batch, with every deferred one),
 * deferred (later-marks.ts), and a replay's: its batches (MAX_LATER_MARKS gathered) are commits that
 * put the WAL's checkpoint off until the replay is over (`settle`). That checkpoint copies about a
 * megabyte into the file and syncs it, 10–90 ms on the shared test machine's disk that a replay used to wait for once
 * per ~1,700 rows; meanwhile the far bound (DURABLE_CHECKPOINT_FRAMES) keeps the WAL from growing
 * without limit (docs/decisions/uplink-drain.md).
 */
export class DeliveryMarks {
  readonly later: LaterMarks;
  readonly #db: OutboxDb;
  readonly #lane: Pick<MemoryLane, "markDelivered">;
  readonly #failed: (e: unknown, what: string) => void;

  constructor(
    db: OutboxDb,
    lane: Pick<MemoryLane, "markDelivered">,
    clock: Pick<Clock, "setTimeout">,
    laterMs: number,
    /** A failed write (the storage guard's). */
    failed: (e: unknown, what: string) => void,
  ) {
    this.#db = db;
    this.#lane = lane;
    this.#failed = failed;
    this.later = new LaterMarks(clock, laterMs, (bulk) => this.now([], bulk));
  }

  /** Pending stored rows in replay order, at most `limit`, without those whose mark is deferred. */
  pending(limit: number): StoredMessage[] {
    return this.later.without((n, lo, hi) => delivery.pending(this.#db, n, lo, hi), limit);
  }

  /** `seqs` and every deferred mark, in one commit; `bulk`: a replay's batch (no checkpoint in it). */
  now(seqs: readonly number[], bulk = false): void {
    const rest = seqs.length === 0 ? [] : this.#lane.markDelivered(seqs);
    if (rest.length === 0 && this.later.size === 0) return;
    const all = this.later.size === 0 ? rest : [...rest, ...this.later.take()];
    try {
      delivery.markDelivered(this.#db, all, bulk);
    } catch (e) {
      // They go out again on the next connection (same id): a duplicate, never a loss.
      this.#failed(e, "delivery marks");
    }
  }

  /** Telemetry's marks: written with the next commit, or later-marks.ts's bound (a kill: duplicates). */
  defer(seqs: readonly number[]): void {
    if (this.#db.isOpen) this.later.add(this.#lane.markDelivered(seqs));
  }

  /**
   * After a replay: its last marks (fewer than a batch, deferred) and the checkpoint its batches put off,
   * now (OutboxDb.settle); undefined when no batch owed one (then the deferred marks keep waiting for
   * the next telemetry commit, as on a quiet day).
   */
  settle(): Checkpointed | undefined {
    if (!this.#db.isOpen || !this.#db.owed) return undefined;
    this.now([], true);
    try {
      return this.#db.settle();
    } catch (e) {
      // The frames stay in the WAL; the next commit at SQLite's bound tries again.
      this.#failed(e, "checkpoint");
      return undefined;
    }
  }
}
