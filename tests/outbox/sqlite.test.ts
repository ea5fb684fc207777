import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { HOUR_MS, WEEK_MS } from "../../src/core/time.js";
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
