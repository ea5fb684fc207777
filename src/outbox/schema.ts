import type { Database } from "better-sqlite3";
import { LANES, type Lane } from "../contract/stored.js";
import { ErrorCode, HearthError } from "../core/errors.js";
import { laneSeqKey } from "./ledger.js";
import { rowBytes } from "./rows.js";

/** Bumped when the table layout changes; `migrate` brings an older file forward. */
export const SCHEMA_VERSION = 4;

/**
 * Layout, version 1.
 * - `messages`: one row per stored envelope. `lane` is 0 alert, 1 event, 2 telemetry so that the
 *   pending index sorts in replay order. `wall_ms`/`synced` are kept beside the envelope for `restamp`
 *   and retention; `bytes` is the row's accounted size, so the size bound needs no table scan.
 * - `alerts`: the latest state of every alert, written in the same transaction as its message; it keeps
 *   the latest message of an open alert from being pruned and answers `alertState` after a restart.
 * - `meta`: the seq counter (never reused, even after deletes), the lane counters (version 2) and the
 *   schema version.
 * - `kv`: small durable values for other parts.
 * Files made before version 3 have `id TEXT NOT NULL UNIQUE`: an index no query reads (ids are random
 * UUIDs, looked up nowhere), one more page written by every insert at a random place. Fresh files are
 * made without it; older files keep it (dropping it means copying the table, which a nearly full card
 * may not allow at start-up).
 */
const V1 = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
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

/**
 * Version 2 (contract v1's one revision):
 * - `resend`: 1 on a row requeued by the cloud's `resend` command until it is delivered again; the
 *   pending index sorts on it first, so resent rows drain after fresh messages of every lane.
 * - every stored envelope carries `lane_seq`; `meta` keeps one counter per lane (`lane_seq.<lane>`).
 *   Rows of a version 1 file get theirs in seq order, per lane, when the file is migrated.
 */
const V2 = `
ALTER TABLE messages ADD COLUMN resend INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS messages_pending;
CREATE INDEX messages_pending_v2 ON messages (resend, lane, seq) WHERE delivered = 0;
`;

/**
 * Version 3 (issue 14, bytes written per day): indexes every commit paid for and no query needs.
 * - `messages_delivered`: the delivered rows are found by seq on the table itself (prune, shrink,
 *   `deliveredRange`, `resend` all ask for a seq order or range), so each delivery mark wrote one index
 *   page more than it needed.
 * - `messages_pending`: version 1's pending index, dropped by version 2 but made again by every later
 *   open (version 1's layout was run with IF NOT EXISTS at each open), then kept up by every insert
 *   and delivery mark beside `messages_pending_v2`.
 * Older code may use the file (`min_reader.3` = 2): it makes both indexes again when it opens it, and
 * this code drops them again at its next open (`dropRetired`).
 */
const RETIRED_INDEXES = ["messages_pending", "messages_delivered"] as const;

/**
 * Version 4 (issue 14, replay): the delivered state out of the message row. A row is pending iff its key
 * is in `pending`, whose key order is the replay order; a delivery mark is a DELETE of a run of keys (a
 * few pages of 3-integer entries), where it was an UPDATE that rewrote each row's 1 KiB leaf.
 * `messages.delivered` stays as a column older releases read (docs/decisions/outbox-disk-writes.md,
 * "Schema 4"): a row is inserted with 0 when pending, 1 when delivered already (a burst's, the memory
 * lane's), set to 0 again by a requeue, and never set by a mark, so `delivered = 0` holds every pending
 * row and some delivered ones. The triggers keep `pending` right whatever writes the rows: this code's
 * inserts and deletes (prune, the size bound), and an older release's inserts, marks, requeues and
 * deletes after a rollback (`min_reader.4` = 2). `messages_pending_v2` goes: it indexed the column.
 */
const V4 = `
CREATE TABLE pending (
  resend INTEGER NOT NULL,
  lane INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (resend, lane, seq)
) WITHOUT ROWID;
CREATE TRIGGER pending_insert AFTER INSERT ON messages WHEN NEW.delivered = 0 BEGIN
  INSERT OR IGNORE INTO pending (resend, lane, seq) VALUES (NEW.resend, NEW.lane, NEW.seq);
END;
CREATE TRIGGER pending_delete AFTER DELETE ON messages BEGIN
  DELETE FROM pending WHERE resend IN (0, 1) AND lane = OLD.lane AND seq = OLD.seq;
END;
CREATE TRIGGER pending_column AFTER UPDATE OF delivered ON messages WHEN NEW.delivered IS NOT OLD.delivered BEGIN
  DELETE FROM pending WHERE NEW.delivered <> 0 AND resend IN (0, 1) AND lane = OLD.lane AND seq = OLD.seq;
  INSERT INTO pending (resend, lane, seq) SELECT NEW.resend, NEW.lane, NEW.seq WHERE NEW.delivered = 0
    AND NOT EXISTS (SELECT 1 FROM pending WHERE resend IN (0, 1) AND lane = NEW.lane AND seq = NEW.seq);
END;
INSERT INTO pending (resend, lane, seq) SELECT resend, lane, seq FROM messages WHERE delivered = 0;
DROP INDEX IF EXISTS messages_pending_v2;
`;

/** Sets one meta value (an upsert), for a prepared statement. */
export const SET_META =
  "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

export function migrate(db: Database): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  const row = hasMeta
    ? (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined)
    : undefined;
  // A fresh file gets version 1's tables, and goes forward like an old one. Only then: run at every open,
  // version 1's layout made its indexes again (see RETIRED_INDEXES).
  const found = row ? Number(row.value) : 1;
  if (found <= 1) db.exec(V1);
  if (found > SCHEMA_VERSION) {
    // A release rolled back after its migration ran (docs/decisions/updates.md): migrations are
    // additive, and the one that made schema N writes `min_reader.N`, the oldest schema whose code
    // still reads and writes the file right. Without it a newer file is refused, as before.
    const min = db.prepare("SELECT value FROM meta WHERE key = ?").get(minReaderKey(found)) as
      | { value: string }
      | undefined;
    if (min !== undefined && Number(min.value) <= SCHEMA_VERSION) return;
    throw new HearthError(
      `outbox schema ${found} is newer than this agent understands (${SCHEMA_VERSION})`,
      ErrorCode.OutboxSchemaNewer,
      { found, understood: SCHEMA_VERSION, min_reader: min?.value ?? null },
    );
  }
  if (found < 2) db.transaction(() => toV2(db))();
  if (found < 3)
    db.transaction(() => {
      const set = db.prepare(SET_META);
      set.run("schema", "3");
      set.run(minReaderKey(3), "2");
    })();
  if (found < 4)
    db.transaction(() => {
      db.exec(V4);
      const set = db.prepare(SET_META);
      set.run("schema", "4");
      set.run(minReaderKey(4), "2");
    })();
  dropRetired(db);
}

/** Drops the retired indexes where they exist (a fresh file, or one an older release opened). */
function dropRetired(db: Database): void {
  const present = db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'index' AND name IN (${RETIRED_INDEXES.map(() => "?").join(", ")})`,
    )
    .all(...RETIRED_INDEXES) as { name: string }[];
  if (present.length === 0) return;
  db.transaction(() => {
    for (const { name } of present) db.exec(`DROP INDEX IF EXISTS ${name}`);
  })();
}

/** The meta key where the migration to schema `version` says which older schemas may still use the file. */
export function minReaderKey(version: number): string {
  return `min_reader.${version}`;
}

/** Layout and envelopes of a version 1 file brought to version 2, in the caller's transaction. */
function toV2(db: Database): void {
  db.exec(V2);
  const rows = db.prepare("SELECT seq, lane, envelope FROM messages ORDER BY seq").all() as {
    seq: number;
    lane: number;
    envelope: string;
  }[];
  const upd = db.prepare("UPDATE messages SET envelope = ?, bytes = ? WHERE seq = ?");
  const counters: Record<Lane, number> = { alert: 0, event: 0, telemetry: 0 };
  for (const r of rows) {
    const lane = LANES[r.lane] as Lane;
    counters[lane]++;
    const json = JSON.stringify(
      withLaneSeq(JSON.parse(r.envelope) as Record<string, unknown>, counters[lane]),
    );
    upd.run(json, rowBytes(json), r.seq);
  }
  const set = db.prepare(SET_META);
  for (const lane of LANES) set.run(laneSeqKey(lane), String(counters[lane]));
  set.run("schema", "2");
}

/** The envelope with `lane_seq` right after `seq`, as the writer places it. */
function withLaneSeq(env: Record<string, unknown>, laneSeq: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k === "lane_seq") continue;
    out[k] = v;
    if (k === "seq") out.lane_seq = laneSeq;
  }
  return out;
}
