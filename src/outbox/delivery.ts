import { LANES, type Lane, type StoredMessage } from "../contract/stored.js";
import type { OutboxDb } from "./db.js";
import { COLUMNS, OPEN_STATES, type Row, toStored } from "./rows.js";
import type { AlertStateInfo } from "./types.js";

/** Most rows `deliveredRange` returns in one call. */
export const MAX_RANGE = 10_000;

/**
 * What the uplink and the `resend` command read and mark: pending rows in replay order, delivery marks,
 * open alerts, delivered rows still held. Plain queries on the connection; the outbox owns the counters.
 */
export function pending(db: OutboxDb, limit: number): StoredMessage[] {
  const rows = db
    .stmt(`SELECT ${COLUMNS} FROM messages WHERE delivered = 0 ORDER BY lane, seq LIMIT ?`)
    .all(Math.max(0, Math.floor(limit))) as Row[];
  return rows.map(toStored);
}

export function markDelivered(db: OutboxDb, seqs: readonly number[], nowMs: number): void {
  const conn = db.need();
  const upd = db.stmt("UPDATE messages SET delivered = 1, delivered_ms = ? WHERE seq = ? AND delivered = 0");
  db.relaxed(() => {
    conn.transaction(() => {
      for (const s of seqs) upd.run(nowMs, s);
    })();
  });
}

/** Delivered rows become undelivered again; returns how many changed. */
export function requeue(db: OutboxDb, seqs: readonly number[]): number {
  const conn = db.need();
  const upd = db.stmt(
    "UPDATE messages SET delivered = 0, delivered_ms = NULL WHERE seq = ? AND delivered = 1",
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

export function deliveredRange(db: OutboxDb, fromSeq: number, toSeq?: number): StoredMessage[] {
  const rows = db
    .stmt(
      `SELECT ${COLUMNS} FROM messages WHERE delivered = 1 AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`,
    )
    .all(fromSeq, toSeq ?? Number.MAX_SAFE_INTEGER, MAX_RANGE) as Row[];
  return rows.map(toStored);
}

export function depth(db: OutboxDb): Record<Lane, number> {
  const rows = db
    .stmt("SELECT lane, COUNT(*) AS n FROM messages WHERE delivered = 0 GROUP BY lane")
    .all() as { lane: number; n: number }[];
  const out: Record<Lane, number> = { alert: 0, event: 0, telemetry: 0 };
  for (const r of rows) out[LANES[r.lane] as Lane] = r.n;
  return out;
}
