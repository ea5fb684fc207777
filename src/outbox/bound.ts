import type { Logger } from "../core/log.js";
import type { Ledger, OutboxDb } from "./db.js";
import { IS_PENDING, LANE_CODE, OPEN_STATES } from "./rows.js";

/** When the bound is hit, free down to this share of it, so that drops come in chunks, not per write. */
export const SHRINK_TO = 0.9;
/** Rows per delete statement while shrinking or pruning. */
const CHUNK = 256;

/**
 * The outbox's two ways of letting go: the size bound (inside a write, when the stored rows outgrow
 * `maxSizeBytes`) and retention (delivered rows older than `retentionMs`, periodically). Neither ever
 * drops an undelivered alert or event, nor the latest message of an open alert.
 */
export class SizeBound {
  readonly #db: OutboxDb;
  readonly #ledger: Ledger;
  readonly #maxSizeBytes: number;
  readonly #retentionMs: number;
  readonly #log: Logger;
  #overBoundWarned = false;
  #shedTelemetry = 0;

  constructor(db: OutboxDb, ledger: Ledger, o: { maxSizeBytes: number; retentionMs: number; log: Logger }) {
    this.#db = db;
    this.#ledger = ledger;
    this.#maxSizeBytes = o.maxSizeBytes;
    this.#retentionMs = o.retentionMs;
    this.#log = o.log;
  }

  /** Undelivered telemetry rows let go so far (size bound and full disk), for `health.storage`. */
  get shedTelemetry(): number {
    return this.#shedTelemetry;
  }

  /**
   * Inside the caller's write transaction: when `size` (the size with the new rows) is over the bound,
   * frees down to SHRINK_TO of it. Returns the size left and the telemetry rows dropped, which the caller
   * passes to `counted` once its transaction has committed (a rolled-back drop dropped nothing).
   */
  enforce(size: number): { size: number; telemetry: number } {
    if (size <= this.#maxSizeBytes) return { size, telemetry: 0 };
    const r = this.#shrink(size - this.#maxSizeBytes * SHRINK_TO);
    return { size: size - r.freed, telemetry: r.telemetry };
  }

  /** Counts telemetry dropped by an `enforce` whose transaction committed. */
  counted(telemetry: number): void {
    this.#shedTelemetry += telemetry;
  }

  /** Takes back a count whose transaction was rolled back after all (a durable group's, durable-group.ts). */
  uncounted(telemetry: number): void {
    this.#shedTelemetry -= telemetry;
  }

  /**
   * When the disk is full: frees at least `need` bytes of rows (delivered, then undelivered telemetry,
   * oldest first) in a transaction of its own, so that SQLite can reuse their pages for an alert.
   * Returns what it freed; throws what SQLite throws (a delete needs a little room in the WAL too).
   */
  shed(need: number): { freed: number; telemetry: number } {
    let out = { freed: 0, telemetry: 0 };
    this.#db.relaxed(() => {
      out = this.#db.atomic(() => this.#shrink(need));
    });
    this.#ledger.size -= out.freed;
    this.#shedTelemetry += out.telemetry;
    return out;
  }

  /**
   * Frees at least `need` bytes inside the caller's transaction: delivered rows oldest-first (but never
   * the latest message of an open alert), then undelivered telemetry oldest-first. Alerts and events that
   * are not delivered are never dropped. Returns the bytes freed.
   */
  #shrink(need: number): { freed: number; telemetry: number } {
    const db = this.#db;
    const candidates = {
      delivered: db.stmt(
        `SELECT m.seq, m.bytes FROM messages m WHERE m.seq > ? AND NOT ${IS_PENDING}
           AND m.seq NOT IN (SELECT latest_seq FROM alerts WHERE state IN ${OPEN_STATES}) ORDER BY m.seq LIMIT ?`,
      ),
      telemetry: db.stmt(
        `SELECT p.seq, m.bytes FROM pending p CROSS JOIN messages m ON m.seq = p.seq
           WHERE p.resend IN (0, 1) AND p.lane = ${LANE_CODE.telemetry} AND p.seq > ? ORDER BY p.seq LIMIT ?`,
      ),
    };
    // The pending_delete trigger takes the row's key out of `pending` (schema.ts, version 4).
    const del = db.stmt("DELETE FROM messages WHERE seq = ?");
    let freed = 0;
    const dropped = { delivered: 0, telemetry: 0 };
    for (const name of ["delivered", "telemetry"] as const) {
      let after = 0;
      while (freed < need) {
        const rows = candidates[name].all(after, CHUNK) as { seq: number; bytes: number }[];
        for (const r of rows) {
          if (freed >= need) break;
          del.run(r.seq);
          freed += r.bytes;
          dropped[name]++;
          after = r.seq;
        }
        if (rows.length < CHUNK) break;
      }
    }
    if (dropped.delivered + dropped.telemetry > 0)
      this.#log.warn(
        {
          droppedDelivered: dropped.delivered,
          droppedTelemetry: dropped.telemetry,
          maxSizeBytes: this.#maxSizeBytes,
        },
        "Outbox reached its size bound; dropped delivered rows and the oldest telemetry",
      );
    if (freed < need) {
      if (!this.#overBoundWarned)
        this.#log.warn(
          { sizeBytes: this.#ledger.size, maxSizeBytes: this.#maxSizeBytes },
          "Outbox is over its size bound with alerts and events only; keeping them",
        );
      this.#overBoundWarned = true;
    } else this.#overBoundWarned = false;
    return { freed, telemetry: dropped.telemetry };
  }

  /** Deletes delivered rows older than the retention window (wall time `nowMs`); returns how many. */
  prune(nowMs: number): number {
    let rows = 0;
    this.#db.relaxed(() => {
      for (;;) {
        const r = this.#db.atomic(() => this.pruneChunk(nowMs));
        this.#ledger.size -= r.freed;
        rows += r.rows;
        if (!r.more) break;
      }
    });
    return rows;
  }

  /**
   * One chunk of `prune` inside the caller's transaction (a telemetry commit's, prune-schedule.ts): the
   * rows deleted, their accounted bytes (the caller takes them off the ledger once it committed) and
   * whether more may be left.
   */
  pruneChunk(nowMs: number): { rows: number; freed: number; more: boolean } {
    const db = this.#db;
    const del = db.stmt(
      `DELETE FROM messages WHERE seq IN (SELECT m.seq FROM messages m WHERE m.wall_ms < ? AND NOT ${IS_PENDING}
         AND m.seq NOT IN (SELECT latest_seq FROM alerts WHERE state IN ${OPEN_STATES}) ORDER BY m.seq LIMIT ?)
       RETURNING bytes`,
    );
    const gone = del.all(nowMs - this.#retentionMs, CHUNK) as { bytes: number }[];
    let freed = 0;
    for (const f of gone) freed += f.bytes;
    // Closed alerts whose last message is gone have nothing left to say.
    db.stmt(
      `DELETE FROM alerts WHERE state NOT IN ${OPEN_STATES} AND latest_seq NOT IN (SELECT seq FROM messages)`,
    ).run();
    if (gone.length > 0)
      this.#log.debug({ rows: gone.length, retentionMs: this.#retentionMs }, "Pruned delivered messages");
    return { rows: gone.length, freed, more: gone.length === CHUNK };
  }
}
