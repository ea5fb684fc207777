import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { ErrorCode, isHearthError } from "../../src/core/errors.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { HOUR_MS, WEEK_MS } from "../../src/core/time.js";
import { inspectOutbox } from "../../src/outbox/inspect.js";
import { readOnlyKeyValue } from "../../src/outbox/kv.js";
import { SCHEMA_VERSION } from "../../src/outbox/schema.js";
import { type OutboxOptions, SqliteOutbox } from "../../src/outbox/sqlite.js";
import { type BuildOptions, describeOutbox } from "./describe-outbox.js";
import { alertBody, alertId, eventBody, telemetryBody } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-outbox-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function options(path: string, o: BuildOptions): OutboxOptions {
  return {
    path,
    home: "home-1",
    timeZone: "Asia/Shanghai",
    clock: o.clock,
    ids: new SeededIds(`outbox-${n++}`),
    maxSizeBytes: o.maxSizeBytes ?? 64 * 1024 * 1024,
    retentionMs: o.retentionMs ?? WEEK_MS,
    telemetryBatch: o.telemetryBatch ?? 100,
    telemetryFlushMs: o.telemetryFlushMs ?? 2000,
    log: silentLogger(),
  };
}

describeOutbox("SqliteOutbox in memory", (o) => new SqliteOutbox(options(":memory:", o)));
describeOutbox("SqliteOutbox on disk", (o) => new SqliteOutbox(options(join(dir, `c-${n}.db`), o)));

describe("SqliteOutbox on disk across a reopen", () => {
  it("keeps seq, messages, delivery marks, alert states and kv; never reuses a seq after deletes", () => {
    const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
    const path = join(dir, "reopen.db");
    const first = new SqliteOutbox(options(path, { clock, retentionMs: HOUR_MS }));
    first.open();
    const raised = first.putAlert(alertBody(alertId(1)));
    const e1 = first.putEvent(eventBody(1));
    const e2 = first.putEvent(eventBody(2));
    first.markDelivered([e1.seq, e2.seq]);
    first.kv.set("routine", "{}");
    clock.advanceBy(2 * HOUR_MS);
    // The periodic prune took e1 and e2; the open alert's latest message stays.
    expect(first.deliveredRange(0)).toEqual([]);
    expect(first.pending(10).map((m) => m.id)).toEqual([raised.id]);
    first.close();

    const second = new SqliteOutbox(options(path, { clock, retentionMs: HOUR_MS }));
    second.open();
    expect(second.lastSeq()).toBe(e2.seq);
    expect(second.pending(10).map((m) => m.envelope)).toEqual([raised]);
    expect(second.openAlerts().map((m) => m.id)).toEqual([raised.id]);
    expect(second.alertState(alertId(1))).toEqual({
      kind: "call",
      state: "raised",
      device: "button-1",
      raisedSeq: raised.seq,
    });
    expect(second.kv.get("routine")).toBe("{}");
    expect(second.putEvent(eventBody(3)).seq).toBe(e2.seq + 1);
    expect(second.sizeBytes()).toBeGreaterThan(0);
    second.close();
  });

  it("close() commits buffered telemetry", () => {
    const clock = new VirtualClock();
    const path = join(dir, "close-flush.db");
    const a = new SqliteOutbox(options(path, { clock, telemetryBatch: 100 }));
    a.open();
    for (let i = 0; i < 7; i++) a.putTelemetry(telemetryBody(i));
    a.close();
    const b = new SqliteOutbox(options(path, { clock }));
    b.open();
    expect(b.depth()).toEqual({ alert: 0, event: 0, telemetry: 7 });
    b.close();
  });

  it("creates its file readable by its owner only", () => {
    const path = join(dir, "sub", "private.db");
    const o = new SqliteOutbox(options(path, { clock: new VirtualClock() }));
    o.open();
    o.putEvent(eventBody(1));
    o.close();
    expect(statSync(path).mode & 0o077).toBe(0);
  });

  it("hands out each stored row's text beside its envelope: what the uplink publishes as it is", () => {
    const path = join(dir, "text.db");
    const o = new SqliteOutbox(options(path, { clock: new VirtualClock() }));
    o.open();
    const e = o.putEvent(eventBody(1));
    const a = o.putAlert(alertBody(alertId(1)));
    o.close();
    // The file's own text, not a serialisation of the parsed envelope.
    const db = new Database(path, { readonly: true });
    const stored = db.prepare("SELECT seq, envelope FROM messages ORDER BY seq").all() as {
      seq: number;
      envelope: string;
    }[];
    db.close();
    const b = new SqliteOutbox(options(path, { clock: new VirtualClock() }));
    b.open();
    const pending = b.pending(10);
    b.close();
    expect(pending.map((m) => m.seq)).toEqual([a.seq, e.seq]);
    for (const m of pending) {
      expect(m.json).toBe(stored.find((r) => r.seq === m.seq)?.envelope);
      expect(m.envelope).toEqual(m.seq === a.seq ? a : e);
    }
  });

  it("accounts its size from the stored rows after a reopen", () => {
    const clock = new VirtualClock();
    const path = join(dir, "size.db");
    const a = new SqliteOutbox(options(path, { clock }));
    a.open();
    for (let i = 0; i < 20; i++) a.putEvent(eventBody(i));
    const size = a.sizeBytes();
    a.close();
    const b = new SqliteOutbox(options(path, { clock }));
    b.open();
    expect(b.sizeBytes()).toBe(size);
    b.close();
  });

  it("a file written by a newer agent: left untouched, the agent runs from memory above its seq (issue 9)", async () => {
    const path = join(dir, "newer.db");
    const a = new SqliteOutbox(options(path, { clock: new VirtualClock() }));
    a.open();
    a.putEvent(eventBody(1));
    a.close();
    const raw = new Database(path);
    raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema'").run();
    raw.close();
    const b = new SqliteOutbox(options(path, { clock: new VirtualClock() }));
    const faults: unknown[] = [];
    b.onStorage((f) => faults.push(f));
    b.open();
    await Promise.resolve();
    expect(b.storageHealth().state).toBe("read_only");
    expect(faults).toEqual([expect.objectContaining({ reason: "io" })]);
    expect(String((faults[0] as { detail: string }).detail)).toContain("newer");
    expect(b.putEvent(eventBody(2)).seq).toBeGreaterThan(1);
    b.close();
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT value FROM meta WHERE key = 'schema'").get()).toEqual({ value: "99" });
    check.close();
  });
});

describe("SqliteOutbox lane numbers (contract v1 revision, issue 9)", () => {
  it("keeps each lane's counter across a reopen and never reuses a lane_seq after deletes", () => {
    const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
    const path = join(dir, "lanes.db");
    const first = new SqliteOutbox(options(path, { clock, retentionMs: HOUR_MS }));
    first.open();
    const a1 = first.putAlert({ ...alertBody(alertId(1)), state: "raised", kind: "leak" });
    const e1 = first.putEvent(eventBody(1));
    const e2 = first.putEvent(eventBody(2));
    first.putAlert({ ...alertBody(alertId(1), "cleared", "leak"), cause: "recovered" });
    first.markDelivered(first.pending(10).map((m) => m.seq));
    clock.advanceBy(2 * HOUR_MS);
    first.prune();
    expect(first.deliveredRange(0)).toEqual([]);
    first.close();

    const second = new SqliteOutbox(options(path, { clock, retentionMs: HOUR_MS }));
    second.open();
    expect(second.laneSeqs()).toEqual({ alert: 2, event: 2, telemetry: 0 });
    expect(second.putAlert(alertBody(alertId(2))).lane_seq).toBe(3);
    expect(second.putEvent(eventBody(3)).lane_seq).toBe((e2.lane_seq ?? 0) + 1);
    expect([a1.lane_seq, e1.lane_seq]).toEqual([1, 1]);
    second.close();
  });

  it("migrates a version 1 file: lane_seq given per lane in seq order, counters continue, resend works", () => {
    const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
    const path = join(dir, "v1.db");
    const a = new SqliteOutbox(options(path, { clock, telemetryBatch: 1 }));
    a.open();
    const written = [
      a.putAlert(alertBody(alertId(1))),
      a.putEvent(eventBody(1)),
      a.putAlert(alertBody(alertId(2))),
      a.putEvent(eventBody(2)),
    ];
    a.putTelemetry(telemetryBody(1));
    a.markDelivered([written[1]?.seq ?? 0]);
    a.close();
    // Back to the layout and envelopes version 1 wrote.
    const raw = new Database(path);
    // Schema 4 keeps the delivered state in `pending`; version 1 kept it in the row.
    raw.exec(`UPDATE messages SET delivered = seq NOT IN (SELECT seq FROM pending);
      DROP TRIGGER pending_insert; DROP TRIGGER pending_delete; DROP TRIGGER pending_column;
      DROP TABLE pending; ALTER TABLE messages DROP COLUMN resend;
      CREATE INDEX messages_pending ON messages (lane, seq) WHERE delivered = 0;
      DELETE FROM meta WHERE key LIKE 'lane_seq.%'; UPDATE meta SET value = '1' WHERE key = 'schema';`);
    const rows = raw.prepare("SELECT seq, envelope FROM messages").all() as {
      seq: number;
      envelope: string;
    }[];
    for (const r of rows) {
      const { lane_seq: _gone, ...old } = JSON.parse(r.envelope) as Record<string, unknown>;
      raw.prepare("UPDATE messages SET envelope = ? WHERE seq = ?").run(JSON.stringify(old), r.seq);
    }
    expect(
      (raw.prepare("SELECT envelope FROM messages WHERE seq = 1").get() as { envelope: string }).envelope,
    ).not.toContain("lane_seq");
    raw.close();

    const b = new SqliteOutbox(options(path, { clock }));
    b.open();
    const byLane = (lane: string) =>
      [...b.pending(10), ...b.deliveredRange(0)]
        .filter((m) => m.lane === lane)
        .sort((x, y) => x.seq - y.seq)
        .map((m) => m.envelope);
    expect(byLane("alert")).toEqual([written[0], written[2]]);
    expect(byLane("event")).toEqual([written[1], written[3]]);
    expect(byLane("telemetry").map((e) => e.lane_seq)).toEqual([1]);
    expect(Object.keys(byLane("alert")[0] ?? {}).slice(0, 6)).toEqual([
      "v",
      "id",
      "home",
      "seq",
      "lane_seq",
      "ts",
    ]);
    expect(b.laneSeqs()).toEqual({ alert: 2, event: 2, telemetry: 1 });
    expect(b.putAlert(alertBody(alertId(3))).lane_seq).toBe(3);
    expect(b.resend(0, undefined, 10).requeued).toBe(1);
    expect(b.pending(10).at(-1)?.seq).toBe(written[1]?.seq);
    b.close();
    const again = new Database(path);
    expect(again.prepare("SELECT value FROM meta WHERE key = 'schema'").get()).toEqual({
      value: String(SCHEMA_VERSION),
    });
    again.close();
  });
});

describe("SqliteOutbox size bound in storage health", () => {
  it("counts the undelivered telemetry its size bound drops in shed_telemetry, and nothing it keeps (issue 9)", () => {
    const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
    const outbox = new SqliteOutbox(
      options(join(dir, "bound-health.db"), { clock, maxSizeBytes: 20_000, telemetryBatch: 1 }),
    );
    outbox.open();
    expect(outbox.storageHealth().shed_telemetry).toBe(0);
    const written = 400;
    for (let i = 0; i < written; i++) outbox.putTelemetry(telemetryBody(i));
    const left = outbox.depth().telemetry;
    expect(left).toBeLessThan(written);
    expect(outbox.storageHealth().shed_telemetry).toBe(written - left);
    outbox.close();
  });
});

describe("SqliteOutbox schema version 3 (issue 14: bytes written)", () => {
  it("keeps only the indexes its queries use, also after a reopen and after an older release opened it", () => {
    const path = join(dir, "indexes.db");
    const indexes = () => {
      const raw = new Database(path, { readonly: true });
      const names = raw
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' ORDER BY name",
        )
        .all()
        .map((r) => (r as { name: string }).name);
      raw.close();
      return names;
    };
    // No unique index on `id` either in a file made by this version (see schema.ts).
    // Schema 4: the pending state is a table of its own (no partial index on `delivered`).
    const kept = ["messages_unsynced"];
    const a = new SqliteOutbox(options(path, { clock: new VirtualClock() }));
    a.open();
    const e = a.putEvent(eventBody(1));
    a.markDelivered([e.seq]);
    a.close();
    expect(indexes()).toEqual(kept);
    // Every open used to run version 1's layout, which made `messages_pending` again.
    const b = new SqliteOutbox(options(path, { clock: new VirtualClock() }));
    b.open();
    b.close();
    expect(indexes()).toEqual(kept);
    // An older release (rolled back to) makes both again when it opens the file.
    const raw = new Database(path);
    raw.exec(`CREATE INDEX messages_pending ON messages (lane, seq) WHERE delivered = 0;
      CREATE INDEX messages_delivered ON messages (seq) WHERE delivered = 1;`);
    raw.close();
    const c = new SqliteOutbox(options(path, { clock: new VirtualClock() }));
    c.open();
    expect(c.deliveredRange(0).map((m) => m.seq)).toEqual([e.seq]);
    expect(c.resend(0, undefined, 10).requeued).toBe(1);
    expect(c.pending(10).map((m) => m.seq)).toEqual([e.seq]);
    c.close();
    expect(indexes()).toEqual(kept);
  });
});

describe("SqliteOutbox page size (issue 14: a commit writes whole pages)", () => {
  it("makes a fresh file with 1 KiB pages and leaves an existing file's pages as they are", () => {
    const fresh = join(dir, "pages-fresh.db");
    const a = new SqliteOutbox(options(fresh, { clock: new VirtualClock() }));
    a.open();
    a.putEvent(eventBody(1));
    a.close();
    const older = join(dir, "pages-older.db");
    const raw = new Database(older);
    raw.pragma("page_size = 4096");
    raw.pragma("journal_mode = WAL");
    raw.close();
    const b = new SqliteOutbox(options(older, { clock: new VirtualClock() }));
    b.open();
    const e = b.putEvent(eventBody(2));
    b.close();
    const pageSize = (path: string) => {
      const db = new Database(path, { readonly: true });
      const size = db.pragma("page_size", { simple: true });
      db.close();
      return size;
    };
    expect(pageSize(fresh)).toBe(1024);
    expect(pageSize(older)).toBe(4096);
    const c = new SqliteOutbox(options(older, { clock: new VirtualClock() }));
    c.open();
    expect(c.pending(10).map((m) => m.seq)).toEqual([e.seq]);
    c.close();
  });
});

describe("SqliteOutbox holds its file to itself (issue 14: no shared WAL index written to the card)", () => {
  it("keeps no -shm beside the file, and read-only tools are told the agent holds it", () => {
    const path = join(dir, "held.db");
    const a = new SqliteOutbox(options(path, { clock: new VirtualClock() }));
    a.open();
    a.putEvent(eventBody(1));
    a.kv.set("k", "v");
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(existsSync(`${path}-shm`)).toBe(false);
    const refused = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isHearthError(e, ErrorCode.OutboxInUse);
      }
      return false;
    };
    expect(refused(() => inspectOutbox(path))).toBe(true);
    expect(refused(() => readOnlyKeyValue(path).kv.get("k"))).toBe(true);
    a.close();
    expect(inspectOutbox(path).depth.event).toBe(1);
    const ro = readOnlyKeyValue(path);
    expect(ro.kv.get("k")).toBe("v");
    ro.close();
  });
});
