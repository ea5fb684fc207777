import type { StoredMessage } from "../contract/stored.js";
import type { OutboxDb } from "./db.js";
import { LANE_CODE, rowBytes } from "./rows.js";

/** A message numbered in memory before its row exists (the memory lane, a telemetry burst). */
export interface HeldRow {
  message: StoredMessage;
  wallMs: number;
  synced: boolean;
}

/**
 * Inside the caller's transaction: the held message's row, delivered already when its PUBACK came back
 * (`delivered = 1`: the schema's trigger gives it no `pending` key, so nothing writes it again later).
 * Returns its accounted bytes, or 0 when a row with its seq is on disk already (written before a kill).
 */
export function insertHeld(db: OutboxDb, h: HeldRow, json: string): number {
  const insert = db.stmt(
    `INSERT OR IGNORE INTO messages (seq, id, lane, type, wall_ms, synced, delivered, bytes, envelope)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Its `pending` key, if any, is one the mirror does not know of.
  db.mirror.forget();
  const m = h.message;
  const bytes = rowBytes(json);
  const r = insert.run(
    m.seq,
    m.id,
    LANE_CODE[m.lane],
    m.type,
    h.wallMs,
    h.synced ? 1 : 0,
    m.delivered ? 1 : 0,
    bytes,
    json,
  );
  return r.changes > 0 ? bytes : 0;
}

/** Inside the caller's transaction: a `meta` counter raised to `value`, never lowered. */
export function raiseCounter(db: OutboxDb, key: string, value: number): void {
  db.stmt(
    `INSERT INTO meta (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(meta.value AS INTEGER), CAST(excluded.value AS INTEGER))`,
  ).run(key, String(value));
}

/** Marks the held rows among `seqs` delivered (their PUBACK came); returns the seqs not held here. */
export function markHeld(rows: readonly HeldRow[], seqs: readonly number[]): number[] {
  if (rows.length === 0) return [...seqs];
  const rest: number[] = [];
  for (const s of seqs) {
    const h = rows.find((x) => x.message.seq === s);
    if (h) h.message.delivered = true;
    else rest.push(s);
  }
  return rest;
}
