import { restampEnvelope } from "../contract/envelope.js";
import type { Envelope } from "../contract/messages.js";
import { restampBody } from "../contract/timestamps.js";
import type { Ledger, OutboxDb } from "./db.js";
import { IS_PENDING, rowBytes } from "./rows.js";
import type { Draft } from "./write.js";

/**
 * After a clock sync: rewrites the times of what is queued and was stamped on the unsynced clock, the
 * buffered drafts and the undelivered rows (delivered ones the cloud already has as they were). Returns
 * how many were rewritten; the ledger's size follows the rows' new lengths.
 */
export function restampQueued(
  db: OutboxDb,
  ledger: Ledger,
  buffer: readonly Draft[],
  corrected: (wallMs: number) => number,
  format: (ms: number) => string,
): number {
  db.need();
  let count = 0;
  for (const d of buffer) {
    if (d.synced) continue;
    d.wallMs = corrected(d.wallMs);
    d.body = restampBody(d.body, corrected, format);
    d.synced = true;
    count++;
  }
  const rows = db
    // `delivered = 0` (the column holds every pending row, schema.ts) lets the unsynced index serve.
    .stmt(
      `SELECT m.seq, m.wall_ms, m.bytes, m.envelope FROM messages m
         WHERE m.synced = 0 AND m.delivered = 0 AND ${IS_PENDING}`,
    )
    .all() as { seq: number; wall_ms: number; bytes: number; envelope: string }[];
  const upd = db.stmt("UPDATE messages SET wall_ms = ?, synced = 1, bytes = ?, envelope = ? WHERE seq = ?");
  let delta = 0;
  db.atomic(() => {
    for (const r of rows) {
      const wall = corrected(r.wall_ms);
      const env = restampEnvelope(JSON.parse(r.envelope) as Envelope, wall, corrected, format);
      const json = JSON.stringify(env);
      const bytes = rowBytes(json);
      upd.run(wall, bytes, json, r.seq);
      delta += bytes - r.bytes;
    }
  });
  ledger.size += delta;
  return count + rows.length;
}
