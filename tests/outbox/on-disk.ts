import { existsSync, statSync } from "node:fs";
import Database from "better-sqlite3";

/** Bytes of the outbox's WAL: a commit appends frames to it, and nothing else does. */
export const walBytes = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);

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
