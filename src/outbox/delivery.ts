import { LANES, type Lane, type StoredMessage } from "../contract/stored.js";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { OutboxDb } from "./db.js";
import { IS_PENDING, OPEN_STATES, type RawRow, type Row, rawToStored, toStored } from "./rows.js";
import type { AlertStateInfo, ResendResult } from "./types.js";

/** Most rows `deliveredRange` returns in one call. */
export const MAX_RANGE = 10_000;
/**
 * Most rows one `resend` command requeues: one transaction of this many updates takes a few
 * milliseconds, and the reply says where to continue.
 */
export const MAX_RESEND = 1000;

/**
 * What the uplink and the `resend` command read and mark: pending rows in replay order, delivery marks,
 * open alerts, delivered rows still held. Plain queries on the connection; the outbox owns the counters.
 */
export function pending(db: OutboxDb, limit: number, skipFrom = 0, skipTo = -1): StoredMessage[] {
  const n = Math.max(0, Math.floor(limit));
  const mirrored = db.mirror.read(n, skipFrom, skipTo);
  if (mirrored) return mirrored;
  // Raw mode (arrays, not an object with named fields per row): the uplink reads its replay here.
  // The pending table in its key order (the replay order), each row then fetched by seq. [skipFrom,
  // skipTo]: rows acknowledged whose mark is deferred (later-marks.ts), left out on the key, no row read.
  const rows = db
    .stmt(
      `SELECT m.seq, m.id, m.lane, m.type, 0, m.envelope, p.resend FROM pending p CROSS JOIN messages m
         ON m.seq = p.seq WHERE p.seq NOT BETWEEN ? AND ? ORDER BY p.resend, p.lane, p.seq LIMIT ?`,
    )
    .raw(true)
    .all(skipFrom, skipTo, n) as RawRow[];
  const stored = rows.map(rawToStored);
  db.mirror.learn(rows.length, n, skipFrom, skipTo, db.need().inTransaction, () =>
    rows.map((r, i) => ({ resend: r[6] ?? 0, lane: r[2], row: stored[i] as StoredMessage })),
  );
  return stored;
}

/**
 * One transaction; one DELETE per run of consecutive seqs (a replay acknowledges whole runs), so a
 * batch of a replay costs a few statements, not one per row. `bulk` (a replay's batch): no checkpoint
 * at SQLite's usual bound inside it (OutboxDb.relaxed, `settle`).
 */
export function markDelivered(db: OutboxDb, seqs: readonly number[], bulk = false): void {
  db.relaxed(() => {
    db.atomic(() => markRuns(db, seqs));
  }, bulk);
}

/**
 * The marks of `markDelivered`, inside the caller's transaction (a commit's, write.ts): the run's keys
 * leave `pending` (six ranges of its key, one per resend and lane); the message rows are not written.
 */
export function markRuns(db: OutboxDb, seqs: readonly number[]): void {
  if (seqs.length === 0) return;
  const del = db.stmt(
    "DELETE FROM pending WHERE resend IN (0, 1) AND lane IN (0, 1, 2) AND seq BETWEEN ? AND ?",
  );
  const sorted = Float64Array.from(seqs).sort();
  const runs: [number, number][] = [];
  let changes = 0;
  let from = 0;
  for (let i = 1; i <= sorted.length; i++)
    if (i === sorted.length || (sorted[i] as number) > (sorted[i - 1] as number) + 1) {
      const run: [number, number] = [sorted[from] as number, sorted[i - 1] as number];
      changes += del.run(run[0], run[1]).changes;
      runs.push(run);
      from = i;
    }
  db.mirror.removed(runs, changes);
}

/**
 * Delivered rows become undelivered again, marked as resent so they drain after fresh messages;
 * returns how many changed. The row's own columns say so too (`delivered = 0, resend = 1`), for an older
 * release after a rollback (schema.ts, version 4): a requeue is rare, the row's rewrite does not matter.
 */
export function requeue(db: OutboxDb, seqs: readonly number[]): number {
  const add = db.stmt(
    `INSERT INTO pending (resend, lane, seq) SELECT 1, m.lane, m.seq FROM messages m
       WHERE m.seq = ? AND NOT ${IS_PENDING}`,
  );
  // The pending_column trigger finds the key there already.
  const column = db.stmt("UPDATE messages SET delivered = 0, resend = 1 WHERE seq = ?");
  let n = 0;
  db.atomic(() => {
    for (const s of seqs)
      if (add.run(s).changes > 0) {
        column.run(s);
        n++;
      }
  });
  return n;
}

export function openAlerts(db: OutboxDb): StoredMessage[] {
  const rows = db
    .stmt(
      `SELECT m.seq, m.id, m.lane, m.type, NOT ${IS_PENDING} AS delivered, m.envelope FROM alerts a
         JOIN messages m ON m.seq = a.latest_seq WHERE a.state IN ${OPEN_STATES} ORDER BY m.seq`,
    )
    .all() as Row[];
  return rows.map(toStored);
}

export function alertState(db: OutboxDb, alertId: string): AlertStateInfo | undefined {
  const r = db.stmt("SELECT kind, state, device, raised_seq FROM alerts WHERE alert = ?").get(alertId) as
    | {
        kind: AlertStateInfo["kind"];
        state: AlertStateInfo["state"];
        device: string | null;
        raised_seq: number;
      }
    | undefined;
  if (!r) return undefined;
  const info: AlertStateInfo = { kind: r.kind, state: r.state, raisedSeq: r.raised_seq };
  if (r.device !== null) info.device = r.device;
  return info;
}

export function deliveredRange(
  db: OutboxDb,
  fromSeq: number,
  toSeq?: number,
  limit = MAX_RANGE,
): StoredMessage[] {
  const rows = db
    .stmt(
      `SELECT m.seq, m.id, m.lane, m.type, 1 AS delivered, m.envelope FROM messages m
         WHERE m.seq >= ? AND m.seq <= ? AND NOT ${IS_PENDING} ORDER BY m.seq LIMIT ?`,
    )
    .all(fromSeq, toSeq ?? Number.MAX_SAFE_INTEGER, Math.max(0, Math.min(limit, MAX_RANGE))) as Row[];
  return rows.map(toStored);
}

/** Requeued rows not yet delivered again. */
export function resendPending(db: OutboxDb): number {
  const r = db.stmt("SELECT COUNT(*) AS n FROM pending WHERE resend = 1").get() as {
    n: number;
  };
  return r.n;
}

/**
 * The cloud's `resend`: requeues at most `max` delivered rows from `fromSeq` (to `toSeq`), one resend at
 * a time. Throws `CommandBusy` while rows of an earlier resend are still pending.
 */
export function resend(db: OutboxDb, fromSeq: number, toSeq: number | undefined, max: number): ResendResult {
  const outstanding = resendPending(db);
  if (outstanding > 0)
    throw new HearthError(
      `an earlier resend still has ${outstanding} messages to deliver; send this one again after them`,
      ErrorCode.CommandBusy,
      { outstanding },
    );
  const cap = Math.max(1, Math.min(Math.floor(max), MAX_RESEND));
  // One row more than the cap says whether the range goes on.
  const rows = db
    .stmt(
      `SELECT m.seq FROM messages m WHERE m.seq >= ? AND m.seq <= ? AND NOT ${IS_PENDING} ORDER BY m.seq LIMIT ?`,
    )
    .all(fromSeq, toSeq ?? Number.MAX_SAFE_INTEGER, cap + 1) as { seq: number }[];
  const more = rows.length > cap;
  const seqs = rows.slice(0, cap).map((r) => r.seq);
  const requeued = requeue(db, seqs);
  const last = seqs.at(-1);
  return {
    requeued,
    ...(last !== undefined ? { through_seq: last } : {}),
    next_from_seq: more && last !== undefined ? last + 1 : null,
  };
}

export function depth(db: OutboxDb): Record<Lane, number> {
  const rows = db.stmt("SELECT lane, COUNT(*) AS n FROM pending GROUP BY lane").all() as {
    lane: number;
    n: number;
  }[];
  const out: Record<Lane, number> = { alert: 0, event: 0, telemetry: 0 };
  for (const r of rows) out[LANES[r.lane] as Lane] = r.n;
  return out;
}
