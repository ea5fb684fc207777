import type { Database } from "better-sqlite3";
import { ErrorCode, HearthError } from "../core/errors.js";

/** Bumped when the table layout changes; `migrate` brings an older file forward. */
export const SCHEMA_VERSION = 1;

/**
 * Layout, version 1.
 * - `messages`: one row per stored envelope. `lane` is 0 alert, 1 event, 2 telemetry so that the
 *   pending index sorts in replay order. `wall_ms`/`synced` are kept beside the envelope for `restamp`
 *   and retention; `bytes` is the row's accounted size, so the size bound needs no table scan.
 * - `alerts`: the latest state of every alert, written in the same transaction as its message; it keeps
 *   the latest message of an open alert from being pruned and answers `alertState` after a restart.
 * - `meta`: the seq counter (never reused, even after deletes) and the schema version.
 * - `kv`: small durable values for other parts.
 */
const V1 = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  lane INTEGER NOT NULL,
  type TEXT NOT NULL,
  wall_ms INTEGER NOT NULL,
  synced INTEGER NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0,
  delivered_ms INTEGER,
  bytes INTEGER NOT NULL,
  envelope TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_pending ON messages (lane, seq) WHERE delivered = 0;
CREATE INDEX IF NOT EXISTS messages_delivered ON messages (seq) WHERE delivered = 1;
CREATE INDEX IF NOT EXISTS messages_unsynced ON messages (seq) WHERE synced = 0 AND delivered = 0;
CREATE TABLE IF NOT EXISTS alerts (
  alert TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  device TEXT,
  raised_seq INTEGER NOT NULL,
  latest_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alerts_latest ON alerts (latest_seq);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

export function migrate(db: Database): void {
  db.exec(V1);
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as
    | { value: string }
    | undefined;
  if (!row) {
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
    return;
  }
  const found = Number(row.value);
  if (found > SCHEMA_VERSION)
    throw new HearthError(
      `outbox schema ${found} is newer than this agent understands (${SCHEMA_VERSION})`,
      ErrorCode.OutboxSchemaNewer,
      { found, understood: SCHEMA_VERSION },
    );
}
