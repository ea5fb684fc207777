import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import {
  type AlertBody,
  BODY_SCHEMAS,
  CONTRACT_VERSION,
  type Envelope,
  type EventBody,
  type SummaryBody,
  type TelemetryBody,
} from "../contract/messages.js";
import { restampBody } from "../contract/timestamps.js";
import type { Clock, Timer } from "../core/clock.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import type { IdSource } from "../core/ids.js";
import type { Logger } from "../core/log.js";
import { migrate } from "./schema.js";
import { createStamper } from "./stamp.js";
import {
  type AlertStateInfo,
  type KeyValueStore,
  LANE_OF,
  LANES,
  type Lane,
  type Outbox,
  type StoredMessage,
} from "./types.js";

export interface OutboxOptions {
  /** Database file, or ":memory:". */
  path: string;
  home: string;
  /** IANA zone of the home, for the offset in `ts`. */
  timeZone: string;
  clock: Clock;
  ids: IdSource;
  maxSizeBytes: number;
  /** Delivered rows older than this (wall time of the message) are pruned. */
  retentionMs: number;
  telemetryBatch: number;
  telemetryFlushMs: number;
  log: Logger;
}

type StoredType = "alert" | "event" | "summary" | "telemetry";

interface Draft {
  type: StoredType;
  body: unknown;
  wallMs: number;
  synced: boolean;
}

interface Row {
  seq: number;
  id: string;
  lane: number;
  type: string;
  delivered: number;
  envelope: string;
}

/**
 * Accounted bytes per row beyond its JSON: row header, the id index and the partial indexes. An
 * estimate, so that many tiny rows are not free; `sizeBytes` is a logical size, not the file size
 * (SQLite reuses freed pages but never shrinks the file without a vacuum).
 */
const ROW_OVERHEAD = 96;
/** When the bound is hit, free down to this share of it, so that drops come in chunks, not per write. */
const SHRINK_TO = 0.9;
/** Rows per delete statement while shrinking or pruning. */
const CHUNK = 256;
/** Most rows `deliveredRange` returns in one call. */
export const MAX_RANGE = 10_000;
/** Telemetry kept in memory while commits fail (disk full, I/O error), in batches. */
const MAX_BUFFERED_BATCHES = 10;

const LANE_CODE: Record<Lane, number> = { alert: 0, event: 1, telemetry: 2 };
const OPEN_STATES = "('raised', 'escalated')";
const COLUMNS = "seq, id, lane, type, delivered, envelope";

function toStored(r: Row): StoredMessage {
  return {
    seq: r.seq,
    id: r.id,
    lane: LANES[r.lane] as Lane,
    type: r.type as StoredMessage["type"],
    envelope: JSON.parse(r.envelope) as Envelope,
    delivered: r.delivered === 1,
  };
}

/**
 * The outbox on SQLite (WAL). Alerts and events are committed with `synchronous = FULL` before their
 * put returns; telemetry, delivery marks and pruning use `NORMAL`, which in WAL mode survives a process
 * crash and loses at most the last commits on power loss (a later FULL commit makes them durable too).
 */
export class SqliteOutbox implements Outbox {
  readonly #o: OutboxOptions;
  readonly #listeners = new Set<() => void>();
  readonly kv: KeyValueStore;
  #db: Database.Database | undefined;
  #lastSeq = 0;
  #size = 0;
  #buffer: Draft[] = [];
  #flushTimer: Timer | undefined;
  #pruneTimer: Timer | undefined;
  #overBoundWarned = false;
  #stampTs: ((ms: number) => string) | undefined;
  readonly #stmts = new Map<string, Database.Statement>();

  constructor(opts: OutboxOptions) {
    this.#o = opts;
    this.kv = { get: (k) => this.#kvGet(k), set: (k, v) => this.#kvSet(k, v) };
  }

  open(): void {
    if (this.#db) return;
    const { path } = this.#o;
    if (path !== ":memory:") {
      // The outbox holds personal data: the file is created private before SQLite opens it.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      closeSync(openSync(path, "a", 0o600));
    }
    const db = new Database(path);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("busy_timeout = 5000");
      migrate(db);
      const meta = db.prepare("SELECT value FROM meta WHERE key = 'seq'").get() as
        | { value: string }
        | undefined;
      const max = db.prepare("SELECT COALESCE(MAX(seq), 0) AS m FROM messages").get() as { m: number };
      this.#lastSeq = Math.max(Number(meta?.value ?? 0), max.m);
      const size = db.prepare("SELECT COALESCE(SUM(bytes), 0) AS s FROM messages").get() as { s: number };
      this.#size = size.s;
    } catch (e) {
      db.close();
      throw new HearthError(
        `Failed to open outbox '${path}'`,
        ErrorCode.OutboxClosed,
        { path },
        { cause: e },
      );
    }
    this.#db = db;
    this.prune();
    const every = Math.max(1000, Math.min(this.#o.retentionMs, 600_000));
    this.#pruneTimer = this.#o.clock.setInterval(() => this.#safePrune(), every);
    this.#o.log.debug(
      { path, lastSeq: this.#lastSeq, sizeBytes: this.#size, depth: this.depth() },
      "Outbox opened",
    );
  }

  close(): void {
    if (!this.#db) return;
    this.flush();
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    this.#pruneTimer?.cancel();
    this.#pruneTimer = undefined;
    if (this.#buffer.length > 0)
      this.#o.log.warn({ lost: this.#buffer.length }, "Outbox closed with telemetry it could not commit");
    this.#buffer = [];
    this.#stmts.clear();
    this.#db.close();
    this.#db = undefined;
  }

  putAlert(body: AlertBody): Envelope<"alert"> {
    return this.#putDurable("alert", body) as Envelope<"alert">;
  }

  putEvent(body: EventBody): Envelope<"event"> {
    return this.#putDurable("event", body) as Envelope<"event">;
  }

  putSummary(body: SummaryBody): Envelope<"summary"> {
    return this.#putDurable("summary", body) as Envelope<"summary">;
  }

  putTelemetry(body: TelemetryBody): void {
    this.#need();
    const draft = this.#draft("telemetry", body);
    this.#buffer.push(draft);
    if (this.#buffer.length >= this.#o.telemetryBatch) {
      this.flush();
      return;
    }
    this.#flushTimer ??= this.#o.clock.setTimeout(() => {
      this.#flushTimer = undefined;
      this.flush();
    }, this.#o.telemetryFlushMs);
  }

  flush(): void {
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    if (this.#buffer.length === 0 || !this.#db) return;
    const drafts = this.#buffer;
    this.#buffer = [];
    try {
      this.#commit(drafts, false);
    } catch (e) {
      // Telemetry may be lost, but not silently, and not by taking the agent down.
      const cap = this.#o.telemetryBatch * MAX_BUFFERED_BATCHES;
      const kept = drafts.slice(Math.max(0, drafts.length - cap));
      this.#buffer = kept;
      this.#o.log.error(
        { err: e, rows: drafts.length, kept: kept.length },
        "Failed to commit telemetry batch; keeping it for the next flush",
      );
    }
  }

  pending(limit: number): StoredMessage[] {
    const rows = this.#stmt(
      `SELECT ${COLUMNS} FROM messages WHERE delivered = 0 ORDER BY lane, seq LIMIT ?`,
    ).all(Math.max(0, Math.floor(limit))) as Row[];
    return rows.map(toStored);
  }

  markDelivered(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const db = this.#need();
    const now = this.#o.clock.wallMs();
    const upd = this.#stmt(
      "UPDATE messages SET delivered = 1, delivered_ms = ? WHERE seq = ? AND delivered = 0",
    );
    this.#relaxed(db, () => {
      db.transaction(() => {
        for (const s of seqs) upd.run(now, s);
      })();
    });
  }

  /**
   * Marks delivered rows undelivered again (the cloud's `resend` command), so the uplink publishes them
   * once more with their original id and seq. Returns how many rows changed.
   */
  requeue(seqs: readonly number[]): number {
    if (seqs.length === 0) return 0;
    const db = this.#need();
    const upd = this.#stmt(
      "UPDATE messages SET delivered = 0, delivered_ms = NULL WHERE seq = ? AND delivered = 1",
    );
    let n = 0;
    db.transaction(() => {
      for (const s of seqs) n += upd.run(s).changes;
    })();
    if (n > 0) this.#notify();
    return n;
  }

  openAlerts(): StoredMessage[] {
    const rows = this.#stmt(
      `SELECT m.seq, m.id, m.lane, m.type, m.delivered, m.envelope FROM alerts a
         JOIN messages m ON m.seq = a.latest_seq WHERE a.state IN ${OPEN_STATES} ORDER BY m.seq`,
    ).all() as Row[];
    return rows.map(toStored);
  }

  alertState(alertId: string): AlertStateInfo | undefined {
    const r = this.#stmt("SELECT kind, state, device, raised_seq FROM alerts WHERE alert = ?").get(alertId) as
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

  deliveredRange(fromSeq: number, toSeq?: number): StoredMessage[] {
    const rows = this.#stmt(
      `SELECT ${COLUMNS} FROM messages WHERE delivered = 1 AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`,
    ).all(fromSeq, toSeq ?? Number.MAX_SAFE_INTEGER, MAX_RANGE) as Row[];
    return rows.map(toStored);
  }

  depth(): Record<Lane, number> {
    const rows = this.#stmt(
      "SELECT lane, COUNT(*) AS n FROM messages WHERE delivered = 0 GROUP BY lane",
    ).all() as { lane: number; n: number }[];
    const out: Record<Lane, number> = { alert: 0, event: 0, telemetry: 0 };
    for (const r of rows) out[LANES[r.lane] as Lane] = r.n;
    return out;
  }

  lastSeq(): number {
    return this.#lastSeq;
  }

  sizeBytes(): number {
    return this.#size;
  }

  restamp(corrected: (wallMs: number) => number): number {
    const db = this.#need();
    let count = 0;
    for (const d of this.#buffer) {
      if (d.synced) continue;
      d.wallMs = corrected(d.wallMs);
      d.body = restampBody(d.body, corrected, (ms) => this.#ts(ms));
      d.synced = true;
      count++;
    }
    const rows = this.#stmt(
      "SELECT seq, wall_ms, bytes, envelope FROM messages WHERE synced = 0 AND delivered = 0",
    ).all() as { seq: number; wall_ms: number; bytes: number; envelope: string }[];
    const upd = this.#stmt(
      "UPDATE messages SET wall_ms = ?, synced = 1, bytes = ?, envelope = ? WHERE seq = ?",
    );
    let delta = 0;
    db.transaction(() => {
      for (const r of rows) {
        const env = JSON.parse(r.envelope) as Envelope;
        const wall = corrected(r.wall_ms);
        env.ts = this.#ts(wall);
        env.clock = "synced";
        env.body = restampBody(env.body, corrected, (ms) => this.#ts(ms));
        const json = JSON.stringify(env);
        const bytes = Buffer.byteLength(json) + ROW_OVERHEAD;
        upd.run(wall, bytes, json, r.seq);
        delta += bytes - r.bytes;
      }
    })();
    this.#size += delta;
    count += rows.length;
    if (count > 0) this.#o.log.info({ count }, "Re-stamped queued messages after clock sync");
    return count;
  }

  onWrite(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Deletes delivered rows older than the retention window; returns how many. Runs periodically. */
  prune(): number {
    const db = this.#need();
    const cutoff = this.#o.clock.wallMs() - this.#o.retentionMs;
    const del = this.#stmt(
      `DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE delivered = 1 AND wall_ms < ?
         AND seq NOT IN (SELECT latest_seq FROM alerts WHERE state IN ${OPEN_STATES}) ORDER BY seq LIMIT ?)
       RETURNING bytes`,
    );
    let rows = 0;
    this.#relaxed(db, () => {
      for (;;) {
        const freed = db.transaction(() => del.all(cutoff, CHUNK) as { bytes: number }[])();
        for (const f of freed) this.#size -= f.bytes;
        rows += freed.length;
        if (freed.length < CHUNK) break;
      }
      // Closed alerts whose last message is gone have nothing left to say.
      this.#stmt(
        `DELETE FROM alerts WHERE state NOT IN ${OPEN_STATES} AND latest_seq NOT IN (SELECT seq FROM messages)`,
      ).run();
    });
    if (rows > 0) this.#o.log.debug({ rows, retentionMs: this.#o.retentionMs }, "Pruned delivered messages");
    return rows;
  }

  #safePrune(): void {
    try {
      this.prune();
    } catch (e) {
      this.#o.log.error({ err: e }, "Outbox prune failed");
    }
  }

  #putDurable(type: "alert" | "event" | "summary", body: unknown): Envelope {
    this.#need();
    const [env] = this.#commit([this.#draft(type, body)], true);
    return env as Envelope;
  }

  #draft(type: StoredType, body: unknown): Draft {
    const parsed = BODY_SCHEMAS[type].safeParse(body);
    if (!parsed.success)
      // A body that breaks the contract is a bug in the caller: fail loudly.
      throw new HearthError(`Invalid ${type} body for the outbox`, ErrorCode.Internal, {
        type,
        issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
      });
    // Scaled and virtual clocks give fractional milliseconds; rows keep whole ones, as `ts` does.
    const wallMs = Math.floor(this.#o.clock.wallMs());
    return { type, body: parsed.data, wallMs, synced: this.#o.clock.wallSynced() };
  }

  /** Writes drafts in one transaction: seq counter, rows, alert states and the size bound together. */
  #commit(drafts: readonly Draft[], durable: boolean): Envelope[] {
    const db = this.#need();
    const { home } = this.#o;
    const insert = this.#stmt(
      "INSERT INTO messages (seq, id, lane, type, wall_ms, synced, bytes, envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const upsertAlert = this.#stmt(
      `INSERT INTO alerts (alert, kind, state, device, raised_seq, latest_seq) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (alert) DO UPDATE SET kind = excluded.kind, state = excluded.state,
         device = COALESCE(excluded.device, alerts.device), latest_seq = excluded.latest_seq`,
    );
    const setSeq = this.#stmt(
      "INSERT INTO meta (key, value) VALUES ('seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    let seq = this.#lastSeq;
    let size = this.#size;
    const envelopes: Envelope[] = [];
    const write = db.transaction(() => {
      for (const d of drafts) {
        seq++;
        const env = {
          v: CONTRACT_VERSION,
          id: this.#o.ids.next("msg"),
          home,
          seq,
          ts: this.#ts(d.wallMs),
          clock: d.synced ? "synced" : "unsynced",
          type: d.type,
          body: d.body,
        } as Envelope;
        const json = JSON.stringify(env);
        const bytes = Buffer.byteLength(json) + ROW_OVERHEAD;
        insert.run(seq, env.id, LANE_CODE[LANE_OF[d.type]], d.type, d.wallMs, d.synced ? 1 : 0, bytes, json);
        size += bytes;
        if (d.type === "alert") {
          const a = d.body as AlertBody;
          upsertAlert.run(a.alert, a.kind, a.state, a.device ?? null, seq, seq);
        }
        envelopes.push(env);
      }
      setSeq.run(String(seq));
      if (size > this.#o.maxSizeBytes) size -= this.#shrink(size - this.#o.maxSizeBytes * SHRINK_TO);
    });
    try {
      if (durable) write.immediate();
      else this.#relaxed(db, () => write.immediate());
    } catch (e) {
      const full = (e as { code?: string }).code === "SQLITE_FULL";
      throw new HearthError(
        `Failed to write to the outbox: ${errorMessage(e)}`,
        full ? ErrorCode.OutboxFull : ErrorCode.Internal,
        { path: this.#o.path, rows: drafts.length },
        { cause: e },
      );
    }
    this.#lastSeq = seq;
    this.#size = size;
    this.#notify();
    return envelopes;
  }

  /**
   * Frees at least `need` bytes inside the caller's transaction: delivered rows oldest-first (but never
   * the latest message of an open alert), then undelivered telemetry oldest-first. Alerts and events that
   * are not delivered are never dropped. Returns the bytes freed.
   */
  #shrink(need: number): number {
    const candidates = {
      delivered: this.#stmt(
        `SELECT seq, bytes FROM messages WHERE delivered = 1 AND seq > ?
           AND seq NOT IN (SELECT latest_seq FROM alerts WHERE state IN ${OPEN_STATES}) ORDER BY seq LIMIT ?`,
      ),
      telemetry: this.#stmt(
        `SELECT seq, bytes FROM messages WHERE delivered = 0 AND lane = ${LANE_CODE.telemetry} AND seq > ?
           ORDER BY lane, seq LIMIT ?`,
      ),
    };
    const del = this.#stmt("DELETE FROM messages WHERE seq = ?");
    let freed = 0;
    const dropped = { delivered: 0, telemetry: 0 };
    for (const name of ["delivered", "telemetry"] as const) {
      let after = 0;
      while (freed < need) {
        const rows = candidates[name].all(after, CHUNK) as { seq: number; bytes: number }[];
        for (const r of rows) {
          if (freed >= need) break;
          del.run(r.seq);
          freed += r.bytes;
          dropped[name]++;
          after = r.seq;
        }
        if (rows.length < CHUNK) break;
      }
    }
    if (dropped.delivered + dropped.telemetry > 0)
      this.#o.log.warn(
        {
          droppedDelivered: dropped.delivered,
          droppedTelemetry: dropped.telemetry,
          maxSizeBytes: this.#o.maxSizeBytes,
        },
        "Outbox reached its size bound; dropped delivered rows and the oldest telemetry",
      );
    if (freed < need) {
      if (!this.#overBoundWarned)
        this.#o.log.warn(
          { sizeBytes: this.#size, maxSizeBytes: this.#o.maxSizeBytes },
          "Outbox is over its size bound with alerts and events only; keeping them",
        );
      this.#overBoundWarned = true;
    } else this.#overBoundWarned = false;
    return freed;
  }

  /** Prepared statements, cached per connection. */
  #stmt(sql: string): Database.Statement {
    const db = this.#need();
    let s = this.#stmts.get(sql);
    if (!s) {
      s = db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /** Runs `fn` with `synchronous = NORMAL` (safe against a crash in WAL mode, no fsync per commit). */
  #relaxed(db: Database.Database, fn: () => void): void {
    db.pragma("synchronous = NORMAL");
    try {
      fn();
    } finally {
      db.pragma("synchronous = FULL");
    }
  }

  #ts(ms: number): string {
    this.#stampTs ??= createStamper(this.#o.timeZone);
    return this.#stampTs(ms);
  }

  #notify(): void {
    for (const l of this.#listeners) {
      try {
        l();
      } catch (e) {
        this.#o.log.error({ err: e }, "Outbox write listener threw");
      }
    }
  }

  #kvGet(key: string): string | undefined {
    this.#need();
    const r = this.#stmt("SELECT value FROM kv WHERE key = ?").get(key) as { value: string } | undefined;
    return r?.value;
  }

  #kvSet(key: string, value: string): void {
    const db = this.#need();
    const upsert = this.#stmt(
      "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    // Without an fsync of its own: it survives a crash of the process (WAL), and the next durable
    // commit (an alert, an event) syncs it to disk. A BLE counter is written for every advert; a
    // press writes an alert right after, so the press's counter is on disk with the press.
    this.#relaxed(db, () => {
      upsert.run(key, value);
    });
  }

  #need(): Database.Database {
    if (!this.#db)
      throw new HearthError("The outbox is not open", ErrorCode.OutboxClosed, { path: this.#o.path });
    return this.#db;
  }
}
