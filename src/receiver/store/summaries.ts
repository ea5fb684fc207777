import { type AlertSql, alertOf } from "./rows.js";
import type { SqlDb } from "./sql.js";
import type { AlertRow, CommissioningReportRow, SummaryRow } from "./types.js";

/**
 * The home file's queries (daily visit records, alert history, commissioning reports), apart from
 * sql-store.ts to keep it small.
 */
interface SummarySql {
  home: string;
  date: string;
  seq: number;
  message_id: string;
  body: string;
  received_at: number;
}

export async function putSummary(db: SqlDb, s: SummaryRow): Promise<boolean> {
  // A day republished (a resend, a later correction) replaces the stored one only when it is newer.
  const n = await db.run(
    `INSERT INTO summaries (home, date, seq, message_id, body, received_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (home, date) DO UPDATE SET seq = excluded.seq, message_id = excluded.message_id,
       body = excluded.body, received_at = excluded.received_at
     WHERE summaries.seq < excluded.seq`,
    [s.home, s.date, s.seq, s.messageId, JSON.stringify(s.body), s.receivedAt],
  );
  return n === 1;
}

export async function summaries(db: SqlDb, home: string, from: string, to: string): Promise<SummaryRow[]> {
  const rows = await db.query<SummarySql>(
    "SELECT * FROM summaries WHERE home = ? AND date >= ? AND date <= ? ORDER BY date",
    [home, from, to],
  );
  return rows.map((r) => ({
    home: r.home,
    date: r.date,
    seq: r.seq,
    messageId: r.message_id,
    body: JSON.parse(r.body) as Record<string, unknown>,
    receivedAt: r.received_at,
  }));
}

export async function homeAlerts(db: SqlDb, home: string, limit: number): Promise<AlertRow[]> {
  const rows = await db.query<AlertSql>(
    "SELECT * FROM alerts WHERE home = ? ORDER BY updated_at DESC LIMIT ?",
    [home, limit],
  );
  return rows.map(alertOf);
}

interface ReportSql {
  home: string;
  message_id: string;
  seq: number;
  body: string;
  received_at: number;
}

export async function putCommissioningReport(db: SqlDb, r: CommissioningReportRow): Promise<boolean> {
  const n = await db.run(
    `INSERT INTO commissioning_reports (home, message_id, seq, body, received_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (home, message_id) DO NOTHING`,
    [r.home, r.messageId, r.seq, JSON.stringify(r.report), r.receivedAt],
  );
  return n === 1;
}

export async function commissioningReports(
  db: SqlDb,
  home: string,
  limit: number,
): Promise<CommissioningReportRow[]> {
  const rows = await db.query<ReportSql>(
    "SELECT * FROM commissioning_reports WHERE home = ? ORDER BY seq DESC LIMIT ?",
    [home, limit],
  );
  return rows.map((r) => ({
    home: r.home,
    seq: Number(r.seq),
    messageId: r.message_id,
    report: JSON.parse(r.body) as Record<string, unknown>,
    receivedAt: Number(r.received_at),
  }));
}
