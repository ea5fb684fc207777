import { LANES, type Lane, type StoredMessage } from "../contract/stored.js";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { OutboxDb } from "./db.js";
import { COLUMNS, OPEN_STATES, type RawRow, type Row, rawToStored, toStored } from "./rows.js";
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
  // Raw mode (arrays, not an object with named fields per row): the uplink reads its replay here.
  // [skipFrom, skipTo]: rows acknowledged whose mark is deferred (later-marks.ts), left out by the index
  // scan instead of read (the seq is in the pending index, so no row of the table is fetched for them).
  const rows = db
    .stmt(
      `SELECT ${COLUMNS} FROM messages WHERE delivered = 0 AND seq NOT BETWEEN ? AND ?
         ORDER BY resend, lane, seq LIMIT ?`,
    )
    .raw(true)
    .all(skipFrom, skipTo, Math.max(0, Math.floor(limit))) as RawRow[];
  return rows.map(rawToStored);
}

/**
 * One transaction; one UPDATE per run of consecutive seqs (a replay acknowledges whole runs), so a
 * batch of a replay costs a few statements, not one per row. `bulk` (a replay's batch): no checkpoint
 * at SQLite's usual bound inside it (OutboxDb.relaxed, `settle`).
 */
export function markDelivered(db: OutboxDb, seqs: readonly number[], nowMs: number, bulk = false): void {
  const conn = db.need();
  db.relaxed(() => {
    conn.transaction(() => markRuns(db, seqs, nowMs))();
  }, bulk);
}

/** The UPDATEs of `markDelivered`, inside the caller's transaction (a commit's, write.ts). */
export function markRuns(db: OutboxDb, seqs: readonly number[], nowMs: number): void {
  if (seqs.length === 0) return;
  const upd = db.stmt(
    "UPDATE messages SET delivered = 1, delivered_ms = ?, resend = 0 WHERE seq BETWEEN ? AND ? AND delivered = 0",
  );
  const sorted = Float64Array.from(seqs).sort();
  let from = 0;
  for (let i = 1; i <= sorted.length; i++)
    if (i === sorted.length || (sorted[i] as number) > (sorted[i - 1] as number) + 1) {
      upd.run(nowMs, sorted[from], sorted[i - 1]);
      from = i;
    }
}

/**
 * Delivered rows become undelivered again, marked as resent so they drain after fresh messages;
 * returns how many changed.
 */
export function requeue(db: OutboxDb, seqs: readonly number[]): number {
  const conn = db.need();
  const upd = db.stmt(
    "UPDATE messages SET delivered = 0, delivered_ms = NULL, resend = 1 WHERE seq = ? AND delivered = 1",
  );
  let n = 0;
  conn.transaction(() => {
    for (const s of seqs) n += upd.run(s).changes;
  })();
  return n;
}

export function openAlerts(db: OutboxDb): StoredMessage[] {
  const rows = db
    .stmt(
      `SELECT m.seq, m.id, m.lane, m.type, m.delivered, m.envelope FROM alerts a
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
      `SELECT ${COLUMNS} FROM messages WHERE delivered = 1 AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`,
    )
    .all(fromSeq, toSeq ?? Number.MAX_SAFE_INTEGER, Math.max(0, Math.min(limit, MAX_RANGE))) as Row[];
  return rows.map(toStored);
}

/** Requeued rows not yet delivered again. */
export function resendPending(db: OutboxDb): number {
  const r = db.stmt("SELECT COUNT(*) AS n FROM messages WHERE delivered = 0 AND resend = 1").get() as {
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
    .stmt(`SELECT seq FROM messages WHERE delivered = 1 AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`)
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
  const rows = db
    .stmt("SELECT lane, COUNT(*) AS n FROM messages WHERE delivered = 0 GROUP BY lane")
    .all() as { lane: number; n: number }[];
  const out: Record<Lane, number> = { alert: 0, event: 0, telemetry: 0 };
  for (const r of rows) out[LANES[r.lane] as Lane] = r.n;
  return out;
}
