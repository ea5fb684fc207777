import { existsSync, readFileSync, statSync } from "node:fs";
import Database from "better-sqlite3";

/** Bytes of the outbox's WAL: a commit appends frames to it, and nothing else does. */
export const walBytes = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);

/**
 * Commits in the outbox's WAL since its last reset: frames whose header carries the database size after
 * the commit (non-zero only on a transaction's last frame), read while they carry the header's salt.
 */
export function walCommits(path: string): number {
  const wal = `${path}-wal`;
  if (!existsSync(wal)) return 0;
  const b = readFileSync(wal);
  if (b.length < 32) return 0;
  const frame = 24 + b.readUInt32BE(8);
  const [salt1, salt2] = [b.readUInt32BE(16), b.readUInt32BE(20)];
  let commits = 0;
  for (let at = 32; at + frame <= b.length; at += frame) {
    if (b.readUInt32BE(at + 8) !== salt1 || b.readUInt32BE(at + 12) !== salt2) break;
    if (b.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}

/** The rows on disk once the outbox is closed: seq → delivered (not in `pending`, schema 4). */
export function onDisk(path: string): Map<number, boolean> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .prepare("SELECT seq, seq NOT IN (SELECT seq FROM pending) AS delivered FROM messages ORDER BY seq")
      .all() as { seq: number; delivered: number }[];
    return new Map(rows.map((r) => [r.seq, r.delivered === 1]));
  } finally {
    db.close();
  }
}
