import type { Lane } from "../../contract/stored.js";
import { ErrorCode, HearthError } from "../../core/errors.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.js";
import {
  type AlertSql,
  accepts,
  alertOf,
  type GapSql,
  type GatewaySql,
  gapOf,
  gatewayOf,
  opt,
  stateRank,
  type WebhookSql,
  webhookOf,
} from "./rows.js";
import type { SqlDb, SqlValue } from "./sql.js";
import * as home from "./summaries.js";
import type {
  AlertRow,
  CommissioningReportRow,
  GapRow,
  GapState,
  GatewayRow,
  MissingRange,
  ReceiverStore,
  SeenMessage,
  StatusChange,
  StatusUpdate,
  SummaryRow,
  WebhookRow,
} from "./types.js";

/** The receiver's store on any SqlDb: the SQL is the same on SQLite and PostgreSQL. */
export class SqlStore implements ReceiverStore {
  readonly #db: SqlDb;

  constructor(db: SqlDb) {
    this.#db = db;
  }

  get dialect(): SqlDb["dialect"] {
    return this.#db.dialect;
  }

  migrate(): Promise<number> {
    return this.#db.exclusive(async (db) => {
      await db.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      const rows = await db.query<{ version: number }>("SELECT version FROM schema_version");
      let version = rows[0]?.version ?? 0;
      if (rows.length === 0) await db.run("INSERT INTO schema_version (version) VALUES (0)");
      if (version > SCHEMA_VERSION)
        throw new HearthError(
          `the receiver's store has schema ${version}, newer than this receiver's ${SCHEMA_VERSION}`,
          ErrorCode.OutboxSchemaNewer,
          { version, known: SCHEMA_VERSION },
        );
      for (; version < SCHEMA_VERSION; version++) {
        for (const sql of MIGRATIONS[version] ?? []) await db.run(sql);
        await db.run("UPDATE schema_version SET version = ?", [version + 1]);
      }
      return version;
    });
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  async markSeen(m: SeenMessage): Promise<boolean> {
    const n = await this.#db.run(
      `INSERT INTO messages_seen (id, home, type, seq, lane_seq, received_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
      [m.id, m.home, m.type, m.seq, opt(m.laneSeq), m.receivedAt],
    );
    return n === 1;
  }

  async countSeen(): Promise<number> {
    const rows = await this.#db.query<{ n: number }>("SELECT COUNT(*) AS n FROM messages_seen");
    return Number(rows[0]?.n ?? 0);
  }

  pruneSeen(before: number, limit: number): Promise<number> {
    // DELETE … LIMIT is not standard SQL: the batch is chosen in a subquery, on the received_at index.
    return this.#db.run(
      `DELETE FROM messages_seen WHERE id IN
         (SELECT id FROM messages_seen WHERE received_at < ? ORDER BY received_at LIMIT ?)`,
      [before, limit],
    );
  }

  async applyAlert(a: AlertRow): Promise<boolean> {
    const n = await this.#db.run(
      `INSERT INTO alerts (alert, home, kind, state, state_rank, device, since, evidence, origin, message_id, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (alert) DO UPDATE SET state = excluded.state, state_rank = excluded.state_rank,
         evidence = excluded.evidence, message_id = excluded.message_id, updated_at = excluded.updated_at,
         device = COALESCE(excluded.device, alerts.device), since = COALESCE(excluded.since, alerts.since)
       WHERE alerts.state_rank < excluded.state_rank`,
      [
        a.alert,
        a.home,
        a.kind,
        a.state,
        stateRank(a.state),
        opt(a.device),
        opt(a.since),
        JSON.stringify(a.evidence),
        a.origin,
        a.messageId,
        a.updatedAt,
      ],
    );
    return n === 1;
  }

  async getAlert(alert: string): Promise<AlertRow | undefined> {
    const rows = await this.#db.query<AlertSql>("SELECT * FROM alerts WHERE alert = ?", [alert]);
    return rows[0] ? alertOf(rows[0]) : undefined;
  }

  async openAlerts(limit = 500): Promise<AlertRow[]> {
    const rows = await this.#db.query<AlertSql>(
      "SELECT * FROM alerts WHERE state_rank < 2 ORDER BY updated_at DESC LIMIT ?",
      [limit],
    );
    return rows.map(alertOf);
  }

  async markAckSent(alert: string, by: string, note: string | undefined, at: number): Promise<boolean> {
    const n = await this.#db.run(
      "UPDATE alerts SET ack_by = ?, ack_note = ?, ack_sent_at = ? WHERE alert = ? AND ack_sent_at IS NULL",
      [by, opt(note), at, alert],
    );
    return n === 1;
  }

  async markAckResent(alert: string, sentBefore: number, at: number): Promise<boolean> {
    const n = await this.#db.run(
      "UPDATE alerts SET ack_sent_at = ? WHERE alert = ? AND state_rank < 2 AND ack_sent_at < ?",
      [at, alert, sentBefore],
    );
    return n === 1;
  }

  async getGateway(home: string): Promise<GatewayRow | undefined> {
    const rows = await this.#db.query<GatewaySql>("SELECT * FROM gateways WHERE home = ?", [home]);
    return rows[0] ? gatewayOf(rows[0]) : undefined;
  }

  async listGateways(): Promise<GatewayRow[]> {
    return (await this.#db.query<GatewaySql>("SELECT * FROM gateways ORDER BY home")).map(gatewayOf);
  }

  async applyStatus(s: StatusUpdate): Promise<StatusChange | undefined> {
    // Optimistic: read, decide, write only if the row is still what was read; another instance's
    // write in between makes this one read again.
    for (let attempt = 0; attempt < 10; attempt++) {
      const before = await this.getGateway(s.home);
      if (!accepts(before, s)) return undefined;
      const online = s.state === "online";
      const offlineBy: GatewayRow["offlineBy"] = online
        ? undefined
        : s.reason === "stopped"
          ? "stopped"
          : "will";
      const after: GatewayRow = {
        home: s.home,
        state: s.state,
        session: s.session,
        reason: s.reason,
        offlineBy,
        version: s.version,
        lastHeartbeatAt: online ? s.at : before?.lastHeartbeatAt,
        lastStatusAt: s.at,
        replayDrained: online && s.replayDrained,
        watch: s.watch ?? before?.watch,
        desiredWatch: before?.desiredWatch,
        desiredWatchUntil: before?.desiredWatchUntil,
        lastSeq: Math.max(s.seq, before?.lastSeq ?? 0),
        health: s.health ?? before?.health,
      };
      const values: SqlValue[] = [
        after.state,
        after.session,
        opt(after.reason),
        opt(after.offlineBy),
        opt(after.version),
        opt(after.lastHeartbeatAt),
        after.lastStatusAt,
        after.replayDrained ? 1 : 0,
        opt(after.watch),
        after.lastSeq,
        after.health ? JSON.stringify(after.health) : null,
      ];
      const n = before
        ? await this.#db.run(
            `UPDATE gateways SET state = ?, session = ?, reason = ?, offline_by = ?, version = ?, last_heartbeat_at = ?,
               last_status_at = ?, replay_drained = ?, watch = ?, last_seq = ?, health = ?
             WHERE home = ? AND session = ? AND state = ? AND last_status_at = ?`,
            [...values, s.home, before.session, before.state, before.lastStatusAt],
          )
        : await this.#db.run(
            `INSERT INTO gateways (state, session, reason, offline_by, version, last_heartbeat_at, last_status_at,
               replay_drained, watch, last_seq, health, home) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (home) DO NOTHING`,
            [...values, s.home],
          );
      if (n !== 1) continue;
      const wasOnline = before?.state === "online";
      const transition = online && !wasOnline ? "online" : !online && wasOnline ? "offline" : undefined;
      return { before, after, transition };
    }
    throw new HearthError(`status of ${s.home}: too many concurrent writers`, ErrorCode.Internal);
  }

  async markSilent(home: string, silentSince: number, at: number): Promise<boolean> {
    const n = await this.#db.run(
      `UPDATE gateways SET state = 'offline', offline_by = 'silent', reason = 'heartbeat allowance passed',
         replay_drained = 0, last_status_at = ?
       WHERE home = ? AND state = 'online' AND COALESCE(last_heartbeat_at, last_status_at) < ?`,
      [at, home, silentSince],
    );
    return n === 1;
  }

  async silentGateways(before: number): Promise<GatewayRow[]> {
    const rows = await this.#db.query<GatewaySql>(
      "SELECT * FROM gateways WHERE state = 'online' AND COALESCE(last_heartbeat_at, last_status_at) < ?",
      [before],
    );
    return rows.map(gatewayOf);
  }

  async setDesiredWatch(home: string, level: string, until: string | undefined): Promise<void> {
    await this.#db.run(
      `INSERT INTO gateways (home, state, session, last_status_at, replay_drained, last_seq, desired_watch, desired_watch_until)
       VALUES (?, 'offline', 0, 0, 0, 0, ?, ?)
       ON CONFLICT (home) DO UPDATE SET desired_watch = excluded.desired_watch,
         desired_watch_until = excluded.desired_watch_until`,
      [home, level, opt(until)],
    );
  }

  async recordLane(home: string, lane: Lane, laneSeq: number, seq: number): Promise<void> {
    await this.#db.run(
      "INSERT INTO lane_seen (home, lane, lane_seq, seq) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      [home, lane, laneSeq, seq],
    );
    await this.#db.run(
      `INSERT INTO lanes (home, lane, low, high, complete_through) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (home, lane) DO UPDATE SET
         complete_through = CASE WHEN excluded.low < lanes.low THEN excluded.complete_through ELSE lanes.complete_through END,
         low = CASE WHEN excluded.low < lanes.low THEN excluded.low ELSE lanes.low END,
         high = CASE WHEN excluded.high > lanes.high THEN excluded.high ELSE lanes.high END`,
      [home, lane, laneSeq, laneSeq, laneSeq - 1],
    );
  }

  async missingRanges(home: string, lane: Lane, upTo: number, latestSeq: number): Promise<MissingRange[]> {
    const lanes = await this.#db.query<{ high: number; complete_through: number }>(
      "SELECT high, complete_through FROM lanes WHERE home = ? AND lane = ?",
      [home, lane],
    );
    const row = lanes[0];
    if (!row) return [];
    const from = row.complete_through;
    const seen = await this.#db.query<{ lane_seq: number; seq: number }>(
      "SELECT lane_seq, seq FROM lane_seen WHERE home = ? AND lane = ? AND lane_seq >= ? ORDER BY lane_seq",
      [home, lane, from],
    );
    // Ranges already recorded lost count as settled, so the contiguous mark can pass them.
    const lost = await this.#db.query<{ from_lane_seq: number; to_lane_seq: number }>(
      "SELECT from_lane_seq, to_lane_seq FROM gaps WHERE home = ? AND lane = ? AND state = 'lost' AND to_lane_seq > ?",
      [home, lane, from],
    );
    const ranges: MissingRange[] = [];
    let expected = from + 1;
    let prevSeq = seen[0]?.lane_seq === from ? (seen[0]?.seq ?? 0) : 0;
    let contiguous = from;
    let broken = false;
    for (const s of seen) {
      if (s.lane_seq < expected) continue;
      if (s.lane_seq > expected) {
        const to = s.lane_seq - 1;
        ranges.push({ fromLaneSeq: expected, toLaneSeq: to, fromSeq: prevSeq + 1, toSeq: s.seq - 1 });
        if (!lost.some((g) => g.from_lane_seq <= expected && g.to_lane_seq >= to)) broken = true;
      }
      if (!broken) contiguous = s.lane_seq;
      expected = s.lane_seq + 1;
      prevSeq = s.seq;
    }
    if (upTo >= expected)
      ranges.push({
        fromLaneSeq: expected,
        toLaneSeq: upTo,
        fromSeq: prevSeq + 1,
        toSeq: Math.max(latestSeq, prevSeq + 1),
      });
    if (contiguous > from)
      await this.#db.run(
        "UPDATE lanes SET complete_through = ? WHERE home = ? AND lane = ? AND complete_through < ?",
        [contiguous, home, lane, contiguous],
      );
    return ranges.filter((r) => !lost.some((g) => g.from_lane_seq === r.fromLaneSeq));
  }

  async rangeComplete(home: string, lane: Lane, from: number, to: number): Promise<boolean> {
    const rows = await this.#db.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM lane_seen WHERE home = ? AND lane = ? AND lane_seq BETWEEN ? AND ?",
      [home, lane, from, to],
    );
    return Number(rows[0]?.n ?? 0) === to - from + 1;
  }

  async openGap(g: GapRow): Promise<boolean> {
    const n = await this.#db.run(
      `INSERT INTO gaps (home, lane, from_lane_seq, to_lane_seq, from_seq, to_seq, state, asked_at, session)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [g.home, g.lane, g.fromLaneSeq, g.toLaneSeq, g.fromSeq, g.toSeq, g.state, g.askedAt, g.session],
    );
    return n === 1;
  }

  async gaps(home: string, states: readonly GapState[]): Promise<GapRow[]> {
    const rows = await this.#db.query<GapSql>(
      `SELECT * FROM gaps WHERE home = ? AND state IN (${states.map(() => "?").join(", ")}) ORDER BY lane, from_lane_seq`,
      [home, ...states],
    );
    return rows.map(gapOf);
  }

  async moveGap(
    g: Pick<GapRow, "home" | "lane" | "fromLaneSeq">,
    from: GapState,
    to: GapState,
    at: number,
  ): Promise<boolean> {
    const n = await this.#db.run(
      "UPDATE gaps SET state = ?, settled_at = ? WHERE home = ? AND lane = ? AND from_lane_seq = ? AND state = ?",
      [to, at, g.home, g.lane, g.fromLaneSeq, from],
    );
    return n === 1;
  }

  async enqueueWebhook(
    d: Pick<WebhookRow, "key" | "alert" | "body" | "nextAt" | "ackAfter">,
  ): Promise<boolean> {
    const n = await this.#db.run(
      `INSERT INTO webhook_deliveries (key, alert, body, state, attempts, next_at, ack_after)
       VALUES (?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (key) DO NOTHING`,
      [d.key, d.alert, d.body, d.nextAt, d.ackAfter ? 1 : 0],
    );
    return n === 1;
  }

  async dueWebhooks(now: number, limit: number): Promise<WebhookRow[]> {
    const rows = await this.#db.query<WebhookSql>(
      "SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?",
      [now, limit],
    );
    return rows.map(webhookOf);
  }

  async claimWebhook(key: string, expectedNextAt: number, leaseUntil: number): Promise<boolean> {
    const n = await this.#db.run(
      "UPDATE webhook_deliveries SET next_at = ? WHERE key = ? AND state = 'pending' AND next_at = ?",
      [leaseUntil, key, expectedNextAt],
    );
    return n === 1;
  }

  async webhookDelivered(key: string, at: number): Promise<void> {
    await this.#db.run(
      "UPDATE webhook_deliveries SET state = 'delivered', delivered_at = ?, attempts = attempts + 1 WHERE key = ?",
      [at, key],
    );
  }

  async webhookFailed(key: string, attempts: number, nextAt: number, error: string): Promise<void> {
    await this.#db.run(
      "UPDATE webhook_deliveries SET attempts = ?, next_at = ?, last_error = ? WHERE key = ? AND state = 'pending'",
      [attempts, nextAt, error.slice(0, 500), key],
    );
  }

  async getWebhook(key: string): Promise<WebhookRow | undefined> {
    const rows = await this.#db.query<WebhookSql>("SELECT * FROM webhook_deliveries WHERE key = ?", [key]);
    return rows[0] ? webhookOf(rows[0]) : undefined;
  }

  putSummary = (s: SummaryRow): Promise<boolean> => home.putSummary(this.#db, s);
  summaries = (h: string, from: string, to: string): Promise<SummaryRow[]> =>
    home.summaries(this.#db, h, from, to);
  homeAlerts = (h: string, limit = 200): Promise<AlertRow[]> => home.homeAlerts(this.#db, h, limit);
  putCommissioningReport = (r: CommissioningReportRow) => home.putCommissioningReport(this.#db, r);
  commissioningReports = (h: string, limit = 20) => home.commissioningReports(this.#db, h, limit);
}
