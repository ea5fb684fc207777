/**
 * The receiver's schema, as numbered migrations written in the SQL both SQLite and PostgreSQL take
 * (TEXT, BIGINT, INTEGER for booleans, JSON as TEXT). `schema_version` holds the number applied; a
 * store opened by an older receiver on a newer schema refuses to run. A new migration is a new entry
 * at the end, never an edit of an applied one.
 */
export const MIGRATIONS: readonly (readonly string[])[] = [
  // 1: the first schema.
  [
    `CREATE TABLE messages_seen (
      id TEXT PRIMARY KEY, home TEXT NOT NULL, type TEXT NOT NULL, seq BIGINT NOT NULL,
      lane_seq BIGINT, received_at BIGINT NOT NULL)`,
    `CREATE TABLE alerts (
      alert TEXT PRIMARY KEY, home TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
      state_rank INTEGER NOT NULL, device TEXT, since TEXT, evidence TEXT NOT NULL, origin TEXT NOT NULL,
      message_id TEXT NOT NULL, updated_at BIGINT NOT NULL, ack_by TEXT, ack_note TEXT, ack_sent_at BIGINT)`,
    "CREATE INDEX alerts_by_rank ON alerts (state_rank, updated_at)",
    "CREATE INDEX alerts_by_home ON alerts (home, updated_at)",
    `CREATE TABLE gateways (
      home TEXT PRIMARY KEY, state TEXT NOT NULL, session BIGINT NOT NULL, reason TEXT, offline_by TEXT,
      version TEXT, last_heartbeat_at BIGINT, last_status_at BIGINT NOT NULL, replay_drained INTEGER NOT NULL,
      watch TEXT, desired_watch TEXT, desired_watch_until TEXT, last_seq BIGINT NOT NULL, health TEXT)`,
    `CREATE TABLE lanes (
      home TEXT NOT NULL, lane TEXT NOT NULL, low BIGINT NOT NULL, high BIGINT NOT NULL,
      complete_through BIGINT NOT NULL, PRIMARY KEY (home, lane))`,
    `CREATE TABLE lane_seen (
      home TEXT NOT NULL, lane TEXT NOT NULL, lane_seq BIGINT NOT NULL, seq BIGINT NOT NULL,
      PRIMARY KEY (home, lane, lane_seq))`,
    `CREATE TABLE gaps (
      home TEXT NOT NULL, lane TEXT NOT NULL, from_lane_seq BIGINT NOT NULL, to_lane_seq BIGINT NOT NULL,
      from_seq BIGINT NOT NULL, to_seq BIGINT NOT NULL, state TEXT NOT NULL, asked_at BIGINT NOT NULL,
      session BIGINT NOT NULL, settled_at BIGINT, PRIMARY KEY (home, lane, from_lane_seq))`,
    `CREATE TABLE webhook_deliveries (
      key TEXT PRIMARY KEY, alert TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL,
      attempts INTEGER NOT NULL, next_at BIGINT NOT NULL, last_error TEXT, ack_after INTEGER NOT NULL,
      delivered_at BIGINT)`,
    "CREATE INDEX webhook_due ON webhook_deliveries (state, next_at)",
  ],
  // 2: the daily visit records (the `summary` lane), one per home and local date, for the console's
  // home file. The body is kept as the gateway sent it; `seq` orders a republished day.
  [
    `CREATE TABLE summaries (
      home TEXT NOT NULL, date TEXT NOT NULL, seq BIGINT NOT NULL, message_id TEXT NOT NULL,
      body TEXT NOT NULL, received_at BIGINT NOT NULL, PRIMARY KEY (home, date))`,
  ],
  // 3: messages_seen is pruned by age (pruneSeen), which needs an index on it.
  ["CREATE INDEX messages_seen_by_age ON messages_seen (received_at)"],
  // 4: the installers' commissioning reports (`commissioning_report` events), kept per home: what was
  // installed and that it worked, for the care service's records.
  [
    `CREATE TABLE commissioning_reports (
      home TEXT NOT NULL, message_id TEXT NOT NULL, seq BIGINT NOT NULL, body TEXT NOT NULL,
      received_at BIGINT NOT NULL, PRIMARY KEY (home, message_id))`,
  ],
];

export const SCHEMA_VERSION = MIGRATIONS.length;
