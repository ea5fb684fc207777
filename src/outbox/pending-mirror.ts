import type Database from "better-sqlite3";
import type { StoredMessage } from "../contract/stored.js";

/** Most pending rows the mirror holds; with more, the drain's page is read from SQLite as before. */
export const MIRROR_MAX = 64;

/** A pending row as the mirror keeps it: its key in `pending` (the replay order) and the row handed out. */
export interface MirrorEntry {
  resend: number;
  lane: number;
  row: StoredMessage;
}

/**
 * SQLite's own count of what changed a pending row or the pending set behind the mirror's back:
 * temporary triggers (this connection only, nothing written to the file) call `hearth_pending_touched()`
 * for every key deleted from or updated in `pending`, and every `messages` row updated (an annotated
 * alert, a restamp, a requeue), whoever writes them, in SQL or through a trigger of the schema. Inserts
 * are not counted: every commit inserts, a telemetry batch a hundred rows, and a call into JavaScript per
 * row cost a batch about a tenth of its inserts' time (docs/BENCHMARKS.md). The writers that insert
 * pending rows are few and known (tests/architecture/pending-writers.test.ts): a commit claims its rows
 * (`appended`), held rows written back drop the mirror, and every mark checks the number of keys left.
 */
const TRIGGERS = [
  "AFTER DELETE ON main.pending",
  "AFTER UPDATE ON main.pending",
  "AFTER UPDATE ON main.messages",
]
  .map(
    (on, i) =>
      `CREATE TEMP TRIGGER IF NOT EXISTS hearth_mirror_${i} ${on} BEGIN SELECT hearth_pending_touched(); END;`,
  )
  .join("\n");

/**
 * The outbox's pending rows, kept in memory while they are few (at most MIRROR_MAX), so that the drain's
 * page after a commit is not read back from SQLite (issue 14: the read was a tenth of a press's time to
 * its PUBACK, docs/BENCHMARKS.md). It is learnt from a page read that returned the whole pending set,
 * then kept by the two writers whose changes it knows: a commit of new rows (`appended`, write.ts) and a
 * delivery mark (`removed`, delivery.ts). Any other change (a requeue, an annotation, a restamp, a
 * prune, the size bound) is counted by the triggers and not claimed, and so drops the mirror until the
 * next full read; so do held rows written back (`forget`, held-rows.ts) and any transaction that rolls
 * back (`forget`, from OutboxDb.atomic and the durable group). Claims are checked against the triggers'
 * count, and marks against the number of keys in `pending`: a writer that changed more than it says, or
 * a key inserted behind the mirror's back, drops it too.
 */
export class PendingMirror {
  /** Changes counted by the triggers since the connection was opened. */
  #touched = 0;
  /** `#touched` when the mirror last matched the file. */
  #seen = 0;
  /** The number of keys in `pending` now. */
  #count: (() => number) | undefined;
  /** The pending rows in key order (resend, lane, seq); undefined when not known. */
  #rows: MirrorEntry[] | undefined;

  /** On a new connection: the counting function and triggers; nothing known yet. */
  install(conn: Database.Database): void {
    this.#rows = undefined;
    conn.function("hearth_pending_touched", { deterministic: false }, () => {
      this.#touched++;
      return null;
    });
    conn.exec(TRIGGERS);
    const count = conn.prepare("SELECT count(*) FROM pending").pluck();
    this.#count = () => count.get() as number;
  }

  get known(): boolean {
    return this.#rows !== undefined && this.#touched === this.#seen;
  }

  /** Something the mirror cannot follow happened (a rollback, a closed connection): read SQLite next. */
  forget(): void {
    this.#rows = undefined;
  }

  /**
   * The first `n` pending rows with no seq in [lo, hi], as the page query returns them; undefined when the
   * mirror is not known (the caller reads SQLite, then `learn`s).
   */
  read(n: number, lo: number, hi: number): StoredMessage[] | undefined {
    const rows = this.#rows;
    if (!rows) return undefined;
    if (this.#touched !== this.#seen) {
      this.#rows = undefined;
      return undefined;
    }
    const out: StoredMessage[] = [];
    for (const e of rows) {
      if (out.length >= n) break;
      const s = e.row.seq;
      if (s < lo || s > hi) out.push(e.row);
    }
    return out;
  }

  /**
   * After a page read from SQLite of `count` rows: when it asked for every row (no seq skipped) and got
   * fewer than the `n` it asked for, it is the whole pending set, and `entries` builds it. Not inside a
   * transaction, which could still roll back.
   */
  learn(
    count: number,
    n: number,
    lo: number,
    hi: number,
    inTransaction: boolean,
    entries: () => MirrorEntry[],
  ): void {
    if (inTransaction || lo <= hi || count >= n || count > MIRROR_MAX) return;
    this.#rows = entries();
    this.#seen = this.#touched;
  }

  /** A commit inserted these rows, pending (resend 0), in seq order. */
  appended(entries: readonly MirrorEntry[]): void {
    const rows = this.#rows;
    if (!rows) return;
    if (this.#touched !== this.#seen || rows.length + entries.length > MIRROR_MAX) {
      this.#rows = undefined;
      return;
    }
    for (const e of entries) {
      // After the last row that sorts before it: a new seq is the highest of its lane.
      let at = rows.length;
      while (at > 0) {
        const p = rows[at - 1] as MirrorEntry;
        if (p.resend < e.resend || (p.resend === e.resend && p.lane <= e.lane)) break;
        at--;
      }
      rows.splice(at, 0, e);
    }
  }

  /**
   * A mark deleted `changes` keys of `pending`, those with a seq in the runs [from, to]: the mirror must
   * hold exactly as many there.
   */
  removed(runs: readonly (readonly [number, number])[], changes: number): void {
    const rows = this.#rows;
    if (!rows) return;
    const kept = rows.filter((e) => !runs.some(([from, to]) => e.row.seq >= from && e.row.seq <= to));
    // The number of keys left checked too: a mark comes after a PUBACK, off the press's path, and every
    // alert and event is marked, so a key inserted behind the mirror's back is found within a round trip.
    if (
      this.#touched !== this.#seen + changes ||
      rows.length - kept.length !== changes ||
      this.#count?.() !== kept.length
    ) {
      this.#rows = undefined;
      return;
    }
    this.#rows = kept;
    this.#seen = this.#touched;
  }
}
