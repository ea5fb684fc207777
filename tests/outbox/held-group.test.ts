import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { WEEK_MS } from "../../src/core/time.js";
import { CHECKPOINT_FRAMES, PAGE_SIZE } from "../../src/outbox/db.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { alertBody, alertId, eventBody } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-held-group-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WAL_HEADER = 32;
const FRAME = 24 + PAGE_SIZE;

/** The WAL frames written from byte `from` on: each frame's page, and whether it ends a commit. */
function framesSince(wal: string, from: number): { page: number; commit: boolean }[] {
  const buf = readFileSync(wal);
  const out: { page: number; commit: boolean }[] = [];
  for (let at = Math.max(from, WAL_HEADER); at + FRAME <= buf.length; at += FRAME)
    out.push({ page: buf.readUInt32BE(at), commit: buf.readUInt32BE(at + 4) !== 0 });
  return out;
}

function outboxAt(name: string): SqliteOutbox {
  const outbox = new SqliteOutbox({
    path: join(dir, name),
    home: "home-1",
    timeZone: "Asia/Shanghai",
    clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) }),
    ids: new SeededIds(name),
    maxSizeBytes: 64 * 1024 * 1024,
    retentionMs: WEEK_MS,
    telemetryBatch: 100,
    telemetryFlushMs: 2000,
    log: silentLogger(),
  });
  outbox.open();
  return outbox;
}

/** A press as the agent writes it: its counter, its call alert and its button event, in one group. */
function press(outbox: SqliteOutbox, n: number) {
  return outbox.durably(() => {
    outbox.kv.set("bthome.counter.AA", String(n));
    const alert = outbox.putAlert(alertBody(alertId(n)));
    const event = outbox.putEvent(eventBody(n));
    return { alert, event };
  });
}

describe("a durable group's writes held for one commit (issue 14, press → PUBACK)", () => {
  it("a press's counter, alert and event are one commit in the WAL, each page written once", () => {
    const outbox = outboxAt("one-commit.db");
    const wal = join(dir, "one-commit.db-wal");
    press(outbox, 1);
    const from = statSync(wal).size;
    const { alert, event } = press(outbox, 2);
    const frames = framesSince(wal, from);
    expect(frames.filter((f) => f.commit)).toHaveLength(1);
    expect(frames.at(-1)?.commit).toBe(true);
    const pages = frames.map((f) => f.page);
    expect(new Set(pages).size).toBe(pages.length);
    // Each alone (no group): three commits, the meta page in two of them.
    const alone = statSync(wal).size;
    outbox.kv.set("bthome.counter.AA", "3");
    outbox.putAlert(alertBody(alertId(3)));
    outbox.putEvent(eventBody(3));
    expect(framesSince(wal, alone).filter((f) => f.commit)).toHaveLength(3);
    outbox.close();
    const again = outboxAt("one-commit.db");
    expect(again.pending(10).map((m) => m.seq)).toContain(alert.seq);
    expect(again.pending(10).map((m) => m.seq)).toContain(event.seq);
    expect(again.kv.get("bthome.counter.AA")).toBe("3");
    again.close();
  });

  it("inside the group the held writes read back (kv, pending, alert state) before the commit", () => {
    const outbox = outboxAt("read-back.db");
    outbox.durably(() => {
      outbox.kv.set("k", "v1");
      expect(outbox.kv.get("k")).toBe("v1");
      const a = outbox.putAlert(alertBody(alertId(7)));
      expect(outbox.pending(10).map((m) => m.seq)).toEqual([a.seq]);
      expect(outbox.alertState(alertId(7))).toMatchObject({ kind: "call", state: "raised" });
      expect(outbox.annotateQueued(a.seq, "sms", { sent: 1 })).toBe(true);
    });
    expect(outbox.storageHealth()).toMatchObject({ state: "ok", memory_lane: 0 });
    outbox.close();
    const again = outboxAt("read-back.db");
    expect(again.kv.get("k")).toBe("v1");
    const [stored] = again.pending(10);
    expect(stored?.envelope.body).toMatchObject({ evidence: { sms: { sent: 1 } } });
    again.close();
  });

  it("a throw inside the group still writes what it held, and passes the throw on", () => {
    const outbox = outboxAt("throw.db");
    let seq = 0;
    expect(() =>
      outbox.durably(() => {
        seq = outbox.putAlert(alertBody(alertId(1))).seq;
        throw new Error("sink failed");
      }),
    ).toThrow("sink failed");
    expect(outbox.storageHealth().memory_lane).toBe(0);
    outbox.close();
    const again = outboxAt("throw.db");
    expect(again.pending(10).map((m) => m.seq)).toEqual([seq]);
    again.close();
  });

  it("durable commits never checkpoint the log (up to its far bound); the next delivery mark does", () => {
    const outbox = outboxAt("checkpoint.db");
    const file = join(dir, "checkpoint.db");
    const wal = `${file}-wal`;
    const start = statSync(file).size;
    const seqs: number[] = [];
    // Well past SQLite's 1000 frames (each alert of about 3 KiB is several 1 KiB pages).
    for (let i = 0; i < 200; i++)
      seqs.push(
        press(outbox, i).alert.seq,
        outbox.putAlert({ ...alertBody(alertId(1000 + i)), evidence: { note: "z".repeat(3000) } }).seq,
      );
    expect(statSync(wal).size).toBeGreaterThan(CHECKPOINT_FRAMES * FRAME);
    expect(statSync(file).size).toBe(start);
    outbox.markDelivered(seqs.slice(0, 1));
    expect(statSync(file).size).toBeGreaterThan(start);
    outbox.close();
  });
});
