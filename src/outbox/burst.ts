import { LANE_OF, type LaneSeqs, type StoredMessage } from "../contract/stored.js";
import type { SizeBound } from "./bound.js";
import type { Ledger, OutboxDb } from "./db.js";
import { markRuns } from "./delivery.js";
import { type HeldRow, insertHeld, markHeld, raiseCounter } from "./held-rows.js";
import { laneSeqKey } from "./ledger.js";
import { type Draft, envelopeOf, type WriteContext } from "./write.js";

/**
 * `meta` keys of the numbers a burst may hand out before its commit: the highest seq and telemetry
 * lane_seq. Written with every telemetry commit (the meta page is written then anyway).
 */
export const RESERVE_SEQ = "burst.seq";
export const RESERVE_LANE_SEQ = "burst.lane_seq";

interface Row extends HeldRow {
  json: string;
}

export interface Reserve {
  seq: number;
  laneSeq: number;
}

/**
 * A slot's telemetry numbered and published before it is committed (docs/decisions/outbox-disk-writes.md):
 * the rows get their id, seq and lane_seq when put, the uplink publishes them from here, and the commit
 * at the end of the flush window writes the ones whose PUBACK came back as delivered already, so that no
 * later delivery mark writes their leaves (and the pending index) again. Unacknowledged rows (the uplink
 * is down, the broker slow) are committed pending, as every row was before.
 *
 * A kill before the commit loses the burst: telemetry of at most one flush window, as the batch before
 * it, or the local copy of an acknowledged burst held for the next slots (telemetry-path.ts). The
 * numbers it handed out may have reached the cloud, so none of them may come again: they lie under a
 * reserve written with the previous telemetry commit (`RESERVE_*`), which the next start skips
 * to when it finds it above the file's counters (a gap in seq and the telemetry lane, which the
 * contract reads as telemetry lost). A row is numbered here only under the reserve; past it, it waits
 * unnumbered in the batch and commits first (which moves the reserve on), as before.
 */
export class TelemetryBurst {
  #rows: Row[] = [];
  /** The reserve on disk: a seq or lane_seq above it may not leave before a commit. */
  #reserve: Reserve = { seq: 0, laneSeq: 0 };

  constructor(readonly ahead: number) {}

  get size(): number {
    return this.#rows.length;
  }

  /** Whether the next telemetry row of `ledger` may be numbered before a commit. */
  covers(ledger: Ledger): boolean {
    return ledger.lastSeq + 1 <= this.#reserve.seq && ledger.laneSeq.telemetry + 1 <= this.#reserve.laneSeq;
  }

  /** Numbers a draft (the ledger moves now: nothing else may take these numbers) and keeps it. */
  hold(d: Draft, ledger: Ledger, w: Pick<WriteContext, "home" | "ids" | "ts">): StoredMessage {
    ledger.lastSeq++;
    ledger.laneSeq.telemetry++;
    const envelope = envelopeOf(w, d, ledger.lastSeq, ledger.laneSeq.telemetry);
    const json = JSON.stringify(envelope);
    const message: StoredMessage = {
      seq: envelope.seq,
      id: envelope.id,
      lane: LANE_OF[d.type],
      type: d.type,
      envelope,
      json,
      delivered: false,
    };
    this.#rows.push({ message, json, wallMs: d.wallMs, synced: d.synced });
    return message;
  }

  /** Rows not acknowledged yet, by seq (after everything stored: they are the newest telemetry). */
  pending(limit: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const r of this.#rows) {
      if (out.length >= limit) break;
      if (!r.message.delivered) out.push(r.message);
    }
    return out;
  }

  /** Marks held rows delivered; returns the seqs that are not held here. */
  markDelivered(seqs: readonly number[]): number[] {
    return markHeld(this.#rows, seqs);
  }

  undelivered(): number {
    let n = 0;
    for (const r of this.#rows) if (!r.message.delivered) n++;
    return n;
  }

  /**
   * Commits the held rows, `marks` and the reserve in one transaction without an fsync of its own, as a
   * telemetry batch; the ledger's size follows. Throws what the database throws (the rows stay held).
   */
  commit(
    w: { db: OutboxDb; ledger: Ledger; bound: SizeBound },
    marks: readonly number[],
    /** Inside the transaction: a due prune; the accounted bytes it deleted. */
    prune: () => number,
  ): void {
    const { db, ledger, bound } = w;
    let size = ledger.size;
    let shed = 0;
    db.relaxed(() =>
      db.atomic(() => {
        size += this.write(db, ledger, marks) - prune();
        ({ size, telemetry: shed } = bound.enforce(size));
      }),
    );
    ledger.size = size;
    bound.counted(shed);
    this.committed(ledger.lastSeq, ledger.laneSeq, true);
  }

  /**
   * Inside the caller's transaction: the held rows (delivered as acknowledged), `marks` (deferred
   * delivery marks of rows on disk) and the reserve moved to `ahead` past the ledger. Returns the
   * accounted bytes added; `done` forgets the rows once the transaction committed.
   */
  write(db: OutboxDb, ledger: Ledger, marks: readonly number[]): number {
    let added = 0;
    for (const r of this.#rows) added += insertHeld(db, r, r.json);
    markRuns(db, marks);
    // An alert committed meanwhile may have written higher counters: never lower them.
    raiseCounter(db, "seq", ledger.lastSeq);
    raiseCounter(db, laneSeqKey("telemetry"), ledger.laneSeq.telemetry);
    this.writeReserve(db, ledger.lastSeq, ledger.laneSeq);
    return added;
  }

  /** Inside a telemetry commit's transaction: the reserve `ahead` past these counters. */
  writeReserve(db: OutboxDb, seq: number, laneSeq: LaneSeqs): void {
    const set = db.stmt(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    set.run(RESERVE_SEQ, String(seq + this.ahead));
    set.run(RESERVE_LANE_SEQ, String(laneSeq.telemetry + this.ahead));
  }

  /** The transaction that wrote the reserve committed (with the rows, for `write`). */
  committed(seq: number, laneSeq: LaneSeqs, rows: boolean): void {
    this.#reserve = { seq: seq + this.ahead, laneSeq: laneSeq.telemetry + this.ahead };
    if (rows) this.#rows = [];
  }

  /** Forgets the rows (the outbox closes without the disk); returns how many there were. */
  drop(): number {
    const n = this.#rows.length;
    this.#rows = [];
    return n;
  }

  /**
   * At open: a reserve above the file's counters means the last run may have published numbers it never
   * committed (it was killed); the ledger starts above them. Returns the reserve when it moved the ledger.
   */
  opened(db: OutboxDb, ledger: Ledger): Reserve | undefined {
    const get = db.stmt("SELECT value FROM meta WHERE key = ?");
    const num = (k: string) => Number((get.get(k) as { value: string } | undefined)?.value ?? 0);
    const r = { seq: num(RESERVE_SEQ), laneSeq: num(RESERVE_LANE_SEQ) };
    // Kept as found, so that a clean stop takes the keys away (release) even if this run commits nothing.
    this.#reserve = r;
    if (r.seq <= ledger.lastSeq && r.laneSeq <= ledger.laneSeq.telemetry) return undefined;
    ledger.lastSeq = Math.max(ledger.lastSeq, r.seq);
    ledger.laneSeq.telemetry = Math.max(ledger.laneSeq.telemetry, r.laneSeq);
    return r;
  }

  /** At a clean stop, after the last commit: no number under the reserve left, so the next start skips none. */
  release(db: OutboxDb): void {
    if (this.#reserve.seq === 0) return;
    db.atomic(() => {
      db.stmt("DELETE FROM meta WHERE key IN (?, ?)").run(RESERVE_SEQ, RESERVE_LANE_SEQ);
    });
    this.#reserve = { seq: 0, laneSeq: 0 };
  }
}
