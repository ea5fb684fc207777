import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { WEEK_MS } from "../../src/core/time.js";
import { BALLAST_FILE, SqliteOutbox } from "../../src/outbox/sqlite.js";
import type { StorageFault } from "../../src/outbox/storage-health.js";
import { captureLog } from "../helpers/log-capture.js";
import { alertBody, alertId, eventBody, telemetryBody } from "./fixtures.js";
import { cannotMount, mountTmpfs, type Tmpfs } from "./tmpfs.js";

/**
 * Issue 9, defects 1 and 2, on the outbox: real storage faults where this machine allows them (a
 * size-limited tmpfs that fills up, the same remounted read-only), files damaged by hand otherwise.
 * No alert or event the outbox handed an id and seq to is lost while the process lives.
 */

const dir = mkdtempSync(join(tmpdir(), "hearth-storage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function outboxAt(
  path: string,
  o: { ballastBytes?: number; maxSizeBytes?: number; runtimeDir?: string } = {},
) {
  const capture = captureLog();
  const outbox = new SqliteOutbox({
    path,
    home: "home-1",
    timeZone: "Asia/Shanghai",
    clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 2, 2, 1, 2, 3) }),
    ids: new SeededIds(`storage-${n++}`),
    maxSizeBytes: o.maxSizeBytes ?? 64 * 1024 * 1024,
    retentionMs: WEEK_MS,
    telemetryBatch: 50,
    telemetryFlushMs: 2000,
    ballastBytes: o.ballastBytes ?? 0,
    ...(o.runtimeDir !== undefined ? { runtimeDir: o.runtimeDir } : {}),
    log: capture.log,
  });
  const faults: (StorageFault | undefined)[] = [];
  outbox.onStorage((f) => faults.push(f));
  return { outbox, capture, faults };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe("outbox at start: a corrupt file", () => {
  it("not a database: moved aside (kept), a fresh outbox opened, seq above all handed out, a storage fault naming where it went", async () => {
    const path = join(dir, "notadb.db");
    const a = outboxAt(path).outbox;
    a.open();
    for (let i = 0; i < 5; i++) a.putEvent(eventBody(i));
    const last = a.lastSeq();
    a.close();
    writeFileSync(path, "this is not a database, it is what a failing SD card gave back ".repeat(100));
    writeFileSync(`${path}-wal`, "garbage wal");
    const { outbox, faults } = outboxAt(path);
    outbox.open();
    const moved = `${path}.corrupt-20260302T010203Z`;
    expect(existsSync(moved)).toBe(true);
    // (SQLite itself drops a -wal that does not belong to the file; one that does moves with it.)
    expect(readFileSync(moved, "utf8")).toContain("failing SD card");
    await tick();
    expect(faults).toEqual([expect.objectContaining({ reason: "corrupt", moved_to: moved })]);
    expect(outbox.storageHealth().state).toBe("degraded");
    // The old file is unreadable: the seq mark beside it keeps seq from being reused.
    expect(outbox.putEvent(eventBody(9)).seq).toBeGreaterThan(last);
    outbox.checkStorage();
    await tick();
    expect(faults.at(-1)).toBeUndefined();
    expect(outbox.storageHealth().state).toBe("ok");
    outbox.close();
  });

  it("a page behind a sound header smashed (only the integrity check finds it): moved aside as corrupt, not run from memory", async () => {
    const path = join(dir, "smashed-page.db");
    const a = outboxAt(path).outbox;
    a.open();
    for (let i = 0; i < 100; i++)
      a.putAlert({ ...alertBody(alertId(i)), evidence: { note: "x".repeat(500) } });
    const last = a.lastSeq();
    a.close();
    // Pages 2 to 4 (1 KiB pages): the schema's first tables; page 1 and its header stay sound.
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(3 * 1024, 0xa5), 0, 3 * 1024, 1024);
    closeSync(fd);
    const { outbox, faults } = outboxAt(path);
    outbox.open();
    await tick();
    expect(faults).toEqual([expect.objectContaining({ reason: "corrupt" })]);
    expect(outbox.storageHealth().state).not.toBe("read_only");
    expect(outbox.putEvent(eventBody(1)).seq).toBeGreaterThan(last);
    outbox.close();
  });

  it("truncated: moved aside, fresh outbox; seq still above the old one", async () => {
    const path = join(dir, "truncated.db");
    const a = outboxAt(path).outbox;
    a.open();
    for (let i = 0; i < 400; i++)
      a.putAlert({ ...alertBody(alertId(i)), evidence: { note: "x".repeat(500) } });
    const last = a.lastSeq();
    const lastAlertLane = a.laneSeqs().alert;
    a.close();
    truncateSync(path, 40 * 1024);
    const { outbox, faults } = outboxAt(path);
    outbox.open();
    await tick();
    expect(faults).toEqual([expect.objectContaining({ reason: "corrupt" })]);
    // The old file's meta is gone with its tail; the seq mark beside it still bounds what was handed out.
    expect(outbox.putEvent(eventBody(1)).seq).toBeGreaterThan(last);
    outbox.close();
    // No lane number comes again either, even in a lane this run left unused and after a restart:
    // a receiver would take a repeated alert lane_seq for a resend.
    const again = outboxAt(path).outbox;
    again.open();
    expect(again.putAlert(alertBody(alertId(999))).lane_seq).toBeGreaterThan(lastAlertLane);
    again.close();
  });
});

describe.skipIf(cannotMount() !== undefined)("outbox on a real small filesystem (tmpfs)", () => {
  let fs: Tmpfs | undefined;
  afterEach(() => {
    fs?.unmount();
    fs = undefined;
  });

  it("full disk: telemetry shed, ballast given back, alerts held in memory beyond that; none lost; all written once space returns; fault raised and cleared", async () => {
    fs = mountTmpfs(3 * 1024 * 1024);
    const path = join(fs.dir, "outbox.db");
    const { outbox, faults, capture } = outboxAt(path, { ballastBytes: 256 * 1024 });
    outbox.open();
    expect(existsSync(join(fs.dir, BALLAST_FILE))).toBe(true);
    for (let i = 0; i < 200; i++) outbox.putTelemetry(telemetryBody(i));
    outbox.flush();
    const filler = fs.fill();
    const ids: string[] = [];
    for (let i = 0; i < 60; i++)
      ids.push(outbox.putAlert({ ...alertBody(alertId(i)), evidence: { note: "y".repeat(4000) } }).id);
    await tick();
    expect(faults[0]).toMatchObject({ reason: "full" });
    expect(existsSync(join(fs.dir, BALLAST_FILE))).toBe(false);
    const health = outbox.storageHealth();
    expect(health.shed_telemetry).toBeGreaterThan(0);
    expect(health.state === "memory" || health.state === "degraded").toBe(true);
    // Every alert is pending, from disk or from memory.
    expect(new Set(outbox.pending(1000).map((m) => m.id))).toEqual(
      new Set([
        ...ids,
        ...outbox
          .pending(1000)
          .filter((m) => m.type === "telemetry")
          .map((m) => m.id),
      ]),
    );
    expect(ids.every((id) => outbox.pending(1000).some((m) => m.id === id))).toBe(true);
    expect(capture.lines.some((l) => l.msg === "Disk full: shed telemetry")).toBe(true);
    // Space returns: held alerts written, ballast back, fault cleared.
    rmSync(filler);
    outbox.checkStorage();
    expect(outbox.storageHealth()).toMatchObject({ state: "ok", memory_lane: 0 });
    expect(existsSync(join(fs.dir, BALLAST_FILE))).toBe(true);
    await tick();
    expect(faults.at(-1)).toBeUndefined();
    outbox.close();
    const again = outboxAt(path).outbox;
    again.open();
    const stored = new Set(again.pending(1000).map((m) => m.id));
    expect(ids.filter((id) => !stored.has(id))).toEqual([]);
    again.close();
  });

  it("full disk at a durable group's commit: the ballast is given back and the group's rows written at once, with their seqs", async () => {
    fs = mountTmpfs(2 * 1024 * 1024);
    const path = join(fs.dir, "outbox.db");
    const { outbox, faults, capture } = outboxAt(path, { ballastBytes: 256 * 1024 });
    outbox.open();
    const before = outbox.putEvent(eventBody(0));
    fs.fill();
    // The rows fit in the pages SQLite holds; the WAL cannot grow for the commit at the group's end.
    const wrote = outbox.durably(() => {
      outbox.kv.set("bthome.counter.A4:C1:38:00:BE:01", "7");
      return {
        alert: outbox.putAlert({ ...alertBody(alertId(1)), evidence: { note: "z".repeat(3000) } }),
        event: outbox.putEvent(eventBody(1)),
      };
    });
    expect(
      capture.lines.some((l) => l.msg === "Durable group rolled back: its messages are held in memory"),
    ).toBe(true);
    // Written back in the same call, in the room the ballast left.
    expect(existsSync(join(fs.dir, BALLAST_FILE))).toBe(false);
    expect(outbox.storageHealth()).toMatchObject({ state: "degraded", memory_lane: 0 });
    await tick();
    expect(faults).toEqual([expect.objectContaining({ reason: "full" })]);
    outbox.close();
    const again = outboxAt(path).outbox;
    again.open();
    expect(again.pending(10).map((m) => m.seq)).toEqual([wrote.alert.seq, before.seq, wrote.event.seq]);
    expect(again.kv.get("bthome.counter.A4:C1:38:00:BE:01")).toBe("7");
    again.close();
  });

  it("read-only filesystem at start: runs from a copy in memory, queued messages still pending, new ones accepted, a read_only fault", async () => {
    fs = mountTmpfs(4 * 1024 * 1024);
    const path = join(fs.dir, "outbox.db");
    const a = outboxAt(path).outbox;
    a.open();
    const queued = [a.putAlert(alertBody(alertId(1))), a.putEvent(eventBody(2))];
    a.close();
    fs.readOnly();
    const { outbox, faults } = outboxAt(path);
    outbox.open();
    await tick();
    expect(faults).toEqual([expect.objectContaining({ reason: "read_only" })]);
    expect(outbox.storageHealth().state).toBe("read_only");
    expect(outbox.pending(10).map((m) => m.id)).toEqual(queued.map((m) => m.id));
    const next = outbox.putAlert(alertBody(alertId(3)));
    // Above the seq mark: the copy may miss the last commits of a -wal it could not read.
    expect(next.seq).toBeGreaterThan(queued[1]?.seq ?? 0);
    outbox.kv.set("k", "v");
    expect(outbox.kv.get("k")).toBe("v");
    outbox.markDelivered([next.seq]);
    expect(outbox.depth()).toEqual({ alert: 1, event: 1, telemetry: 0 });
    outbox.close();
  });
  it("read-only with a runtime directory: the copy outlives the process; the next read-only run carries on with it, the first writable run takes it back (issue 9: no seq handed out twice, the storage alert closed)", async () => {
    fs = mountTmpfs(4 * 1024 * 1024);
    const runtimeDir = mkdtempSync(join(tmpdir(), "hearth-run-"));
    const path = join(fs.dir, "outbox.db");
    const a = outboxAt(path, { runtimeDir }).outbox;
    a.open();
    const queued = a.putEvent(eventBody(1));
    a.close();
    fs.readOnly();

    // First read-only run: on a copy in the runtime directory, not in memory.
    const ro1 = outboxAt(path, { runtimeDir });
    ro1.outbox.open();
    await tick();
    expect(ro1.faults).toEqual([expect.objectContaining({ reason: "read_only" })]);
    expect(readdirSync(runtimeDir).filter((f) => f.endsWith(".db"))).toHaveLength(1);
    const raised = ro1.outbox.putAlert(alertBody(alertId(1)));
    const made1 = Array.from({ length: 5 }, (_, i) => ro1.outbox.putEvent(eventBody(10 + i)));
    ro1.outbox.markDelivered([queued.seq, made1[0]?.seq ?? 0]);
    ro1.outbox.close();

    // A restart, still read-only: the same copy, so seq carries on and nothing made is forgotten.
    const ro2 = outboxAt(path, { runtimeDir });
    ro2.outbox.open();
    expect(ro2.outbox.lastSeq()).toBe(made1.at(-1)?.seq);
    expect(ro2.outbox.openAlerts().map((m) => m.id)).toEqual([raised.id]);
    const made2 = ro2.outbox.putEvent(eventBody(20));
    expect(made2.seq).toBe((made1.at(-1)?.seq ?? 0) + 1);
    ro2.outbox.close();

    // Writable again: the copy becomes the file and leaves the runtime directory.
    fs.readWrite();
    const rw = outboxAt(path, { runtimeDir });
    rw.outbox.open();
    await tick();
    expect(rw.faults).toEqual([]);
    expect(rw.outbox.storageHealth().state).toBe("ok");
    expect(readdirSync(runtimeDir).filter((f) => f.endsWith(".db"))).toEqual([]);
    expect(rw.outbox.lastSeq()).toBe(made2.seq);
    const pendingIds = new Set(rw.outbox.pending(100).map((m) => m.id));
    expect([raised, ...made1.slice(1), made2].filter((m) => !pendingIds.has(m.id)).map((m) => m.seq)).toEqual(
      [],
    );
    expect(pendingIds.has(queued.id)).toBe(false);
    expect(rw.outbox.openAlerts().map((m) => m.id)).toEqual([raised.id]);
    const next = rw.outbox.putEvent(eventBody(30));
    expect(next.seq).toBe(made2.seq + 1);
    expect(
      rw.capture.lines.some((l) => String(l.msg).startsWith("Took back the outbox of the read-only run")),
    ).toBe(true);
    rw.outbox.close();
    rmSync(runtimeDir, { recursive: true, force: true });
  });

  it("a runtime copy that does not continue the file (written since) is kept aside and seq starts above it", () => {
    fs = mountTmpfs(4 * 1024 * 1024);
    const runtimeDir = mkdtempSync(join(tmpdir(), "hearth-run-"));
    const path = join(fs.dir, "outbox.db");
    const a = outboxAt(path, { runtimeDir }).outbox;
    a.open();
    a.putEvent(eventBody(1));
    a.close();
    fs.readOnly();
    const ro = outboxAt(path, { runtimeDir }).outbox;
    ro.open();
    const fromCopy = Array.from({ length: 3 }, (_, i) => ro.putEvent(eventBody(10 + i)));
    ro.close();
    const [copyName] = readdirSync(runtimeDir).filter((f) => f.endsWith(".db"));
    const saved = readFileSync(join(runtimeDir, copyName ?? "missing"));
    fs.readWrite();
    // Something wrote the file meanwhile (a run without the runtime directory): the copy is stale.
    const other = outboxAt(path).outbox;
    other.open();
    other.putEvent(eventBody(2));
    other.close();
    writeFileSync(join(runtimeDir, copyName ?? "missing"), saved);
    const rw = outboxAt(path, { runtimeDir });
    rw.outbox.open();
    const next = rw.outbox.putEvent(eventBody(40));
    expect(next.seq).toBeGreaterThan(fromCopy.at(-1)?.seq ?? Number.POSITIVE_INFINITY);
    expect(readdirSync(fs.dir).some((f) => f.startsWith("outbox.db.readonly-"))).toBe(true);
    expect(readdirSync(runtimeDir).filter((f) => f.endsWith(".db"))).toEqual([]);
    rw.outbox.close();
    rmSync(runtimeDir, { recursive: true, force: true });
  });
});
