import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import type { StorageFault } from "../../src/outbox/storage-health.js";
import { captureLog } from "../helpers/log-capture.js";
import { alertBody, alertId, eventBody, outboxOptions, telemetryBody } from "./fixtures.js";
import { onDisk, walCommits } from "./on-disk.js";
import { lastOpened } from "./tracked-sqlite.js";

/**
 * Issue 14, "one fsync per press": what one durable group writes (a BLE counter, the call alert, the
 * button event) is one SQLite transaction, counted in the WAL's commit frames; when that transaction
 * fails, what it held is published from memory and written back later, with the same ids and seqs.
 */

// The outbox keeps its connection private; the failure tests need it to make the disk refuse a write.
vi.mock("better-sqlite3", async (real) => (await import("./tracked-sqlite.js")).trackedSqlite(real));

const dir = mkdtempSync(join(tmpdir(), "hearth-durable-group-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const COUNTER = "bthome.counter.A4:C1:38:00:BE:01";

function open(name: string, telemetryBatch = 100) {
  const capture = captureLog();
  const path = join(dir, name);
  const outbox = new SqliteOutbox(
    outboxOptions(path, {
      clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) }),
      ids: new SeededIds(name),
      telemetryBatch,
      log: capture.log,
    }),
  );
  outbox.open();
  const db = lastOpened();
  const faults: (StorageFault | undefined)[] = [];
  outbox.onStorage((f) => faults.push(f));
  return { outbox, db, path, capture, faults };
}

/** What a press writes, as the BTHome receiver and the pipeline write it. */
function press(outbox: SqliteOutbox, n: number) {
  outbox.kv.set(COUNTER, String(n));
  const alert = outbox.putAlert(alertBody(alertId(n)));
  const event = outbox.putEvent(eventBody(n));
  return { alert, event };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe("a durable group is one transaction", () => {
  it("a press's counter, alert and event: one commit in the WAL; written outside a group, three", () => {
    const { outbox, path } = open("one-commit.db");
    let commits = walCommits(path);
    outbox.durably(() => press(outbox, 1));
    expect(walCommits(path) - commits).toBe(1);
    commits = walCommits(path);
    press(outbox, 2);
    expect(walCommits(path) - commits).toBe(3);
    outbox.close();
    const again = open("one-commit.db").outbox;
    expect(again.kv.get(COUNTER)).toBe("2");
    expect(again.pending(10)).toHaveLength(4);
    again.close();
  });

  it("nested groups commit once, when the outermost ends; a group that writes nothing commits nothing", () => {
    const { outbox, path } = open("nested.db");
    let commits = walCommits(path);
    outbox.durably(() => {
      outbox.durably(() => press(outbox, 1));
      expect(walCommits(path)).toBe(commits);
      outbox.putEvent(eventBody(9));
    });
    expect(walCommits(path) - commits).toBe(1);
    commits = walCommits(path);
    expect(outbox.durably(() => outbox.kv.get(COUNTER))).toBe("1");
    expect(walCommits(path)).toBe(commits);
    outbox.close();
    expect(onDisk(path).size).toBe(3);
  });

  it("a group that throws commits what it wrote before the throw, and passes the throw on", () => {
    const { outbox, path } = open("throws.db");
    let wrote: ReturnType<typeof press> | undefined;
    expect(() =>
      outbox.durably(() => {
        wrote = press(outbox, 1);
        throw new Error("sink failed");
      }),
    ).toThrow("sink failed");
    outbox.close();
    expect([...onDisk(path).keys()]).toEqual([wrote?.alert.seq, wrote?.event.seq]);
  });

  it("a telemetry burst inside a group commits the group's transaction first; what follows commits at the end", () => {
    const { outbox, path } = open("alone.db", 1);
    const commits = walCommits(path);
    let seqs: number[] = [];
    outbox.durably(() => {
      const alert = outbox.putAlert(alertBody(alertId(1)));
      // A batch of one: the burst commits at once, alone, after the alert's transaction.
      outbox.putTelemetry(telemetryBody(1));
      expect(walCommits(path) - commits).toBe(2);
      const event = outbox.putEvent(eventBody(1));
      seqs = [alert.seq, alert.seq + 1, event.seq];
    });
    expect(walCommits(path) - commits).toBe(3);
    outbox.close();
    expect([...onDisk(path).keys()]).toEqual(seqs);
  });
});

describe("when the group's transaction fails, the press still goes out", () => {
  it("a full disk at the event: the counter and the alert are rolled back with it, all three held in memory with their seqs, written back once there is room", async () => {
    const { outbox, db, faults } = open("full.db");
    const before = outbox.putEvent(eventBody(0));
    let wrote: ReturnType<typeof press> | undefined;
    outbox.durably(() => {
      outbox.kv.set(COUNTER, "1");
      const alert = outbox.putAlert(alertBody(alertId(1)));
      // The disk is full from here: the event needs pages the file cannot have.
      db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true }) as number}`);
      const event = outbox.putEvent({ ...eventBody(1), data: { note: "x".repeat(64 * 1024) } });
      wrote = { alert, event };
    });
    expect(wrote?.alert.seq).toBe(before.seq + 1);
    expect(wrote?.event.seq).toBe(before.seq + 2);
    expect(outbox.pending(10).map((m) => m.id)).toEqual([wrote?.alert.id, wrote?.event.id, before.id]);
    expect(outbox.kv.get(COUNTER)).toBe("1");
    expect(outbox.alertState(alertId(1))).toMatchObject({ kind: "call", state: "raised" });
    expect(outbox.storageHealth()).toMatchObject({ state: "memory", memory_lane: 2 });
    await tick();
    expect(faults).toEqual([expect.objectContaining({ reason: "full" })]);
    // Nothing of the group reached the disk.
    expect(db.prepare("SELECT seq FROM messages").all()).toEqual([{ seq: before.seq }]);
    db.pragma("max_page_count = 1073741823");
    outbox.checkStorage();
    expect(outbox.storageHealth()).toMatchObject({ state: "ok", memory_lane: 0 });
    outbox.close();
    const again = open("full.db").outbox;
    expect(again.pending(10).map((m) => [m.seq, m.id])).toEqual([
      [wrote?.alert.seq, wrote?.alert.id],
      [before.seq, before.id],
      [wrote?.event.seq, wrote?.event.id],
    ]);
    expect(again.kv.get(COUNTER)).toBe("1");
    again.close();
  });

  it("the group's commit refused: its alert and event are held in memory, a storage fault is raised, and both are written back with their seqs", async () => {
    const { outbox, db, path, faults, capture } = open("commit.db");
    // A constraint checked only at COMMIT: every event's row inserts a row that points nowhere.
    db.pragma("foreign_keys = ON");
    db.exec(`CREATE TABLE nowhere (id INTEGER PRIMARY KEY);
      CREATE TABLE trap (x INTEGER REFERENCES nowhere (id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TRIGGER trap_event AFTER INSERT ON messages WHEN NEW.type = 'event'
        BEGIN INSERT INTO trap VALUES (1); END;`);
    const wrote = outbox.durably(() => press(outbox, 1));
    expect(db.inTransaction).toBe(false);
    expect(outbox.pending(10).map((m) => m.seq)).toEqual([wrote.alert.seq, wrote.event.seq]);
    expect(outbox.kv.get(COUNTER)).toBe("1");
    expect(outbox.storageHealth().memory_lane).toBe(2);
    expect(
      capture.lines.some((l) => l.msg === "Durable group rolled back: its messages are held in memory"),
    ).toBe(true);
    await tick();
    expect(faults).toEqual([expect.objectContaining({ reason: "io_error", memory_lane: 2 })]);
    expect(db.prepare("SELECT count(*) AS n FROM messages").get()).toEqual({ n: 0 });
    db.exec("DROP TRIGGER trap_event");
    outbox.checkStorage();
    expect(outbox.storageHealth()).toMatchObject({ state: "ok", memory_lane: 0 });
    await tick();
    expect(faults.at(-1)).toBeUndefined();
    outbox.close();
    expect([...onDisk(path).keys()]).toEqual([wrote.alert.seq, wrote.event.seq]);
  });
});
