import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { WEEK_MS } from "../../src/core/time.js";
import { CHECKPOINT_FRAMES, DURABLE_CHECKPOINT_FRAMES, PAGE_SIZE } from "../../src/outbox/db.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { alertBody, alertId, eventBody, outboxOptions, telemetryBody } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-checkpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One WAL frame: its header and a page. */
const FRAME = 24 + PAGE_SIZE;

function outboxAt(name: string): SqliteOutbox {
  const outbox = new SqliteOutbox(
    outboxOptions(join(dir, name), {
      clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) }),
      ids: new SeededIds(name),
      retentionMs: WEEK_MS,
      telemetryBatch: 10,
    }),
  );
  outbox.open();
  return outbox;
}

/** A press as the agent writes it: its counter, its call alert and its button event, in one group. */
function press(outbox: SqliteOutbox, n: number) {
  return outbox.durably(() => {
    outbox.kv.set("bthome.counter.AA", String(n));
    const alert = outbox.putAlert({ ...alertBody(alertId(n)), evidence: { note: "z".repeat(3000) } });
    const event = outbox.putEvent(eventBody(n));
    return { alert, event };
  });
}

describe("WAL checkpoints off the alert's path (issue 14, press → PUBACK)", () => {
  it("no commit of a durable group (counter, alert, event, barrier) nor a durable put checkpoints; the next delivery mark does", () => {
    const outbox = outboxAt("groups.db");
    const file = join(dir, "groups.db");
    const start = statSync(file).size;
    const seqs: number[] = [];
    // Well past SQLite's 1000 frames: each alert of about 3 KiB is several 1 KiB pages.
    for (let i = 0; i < 150; i++) {
      const { alert, event } = press(outbox, i);
      seqs.push(alert.seq, event.seq, outbox.putAlert(alertBody(alertId(1000 + i))).seq);
    }
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(CHECKPOINT_FRAMES * FRAME);
    // A checkpoint writes pages into the file: it has not grown since the outbox opened.
    expect(statSync(file).size).toBe(start);
    outbox.markDelivered(seqs.slice(0, 1));
    expect(statSync(file).size).toBeGreaterThan(start);
    outbox.close();
  });

  it("a telemetry batch (no fsync of its own) checkpoints as SQLite would", () => {
    const outbox = outboxAt("telemetry.db");
    const file = join(dir, "telemetry.db");
    for (let i = 0; i < 150; i++) press(outbox, i);
    const start = statSync(file).size;
    for (let i = 0; i < 10; i++) outbox.putTelemetry(telemetryBody(i));
    expect(statSync(file).size).toBeGreaterThan(start);
    expect(outbox.depth().telemetry).toBe(10);
    outbox.close();
  });
});

describe("a replay's delivery marks put the WAL's checkpoint off until it is over (issue 14, replay)", () => {
  /** An outbox holding `n` undelivered telemetry rows, committed as the agent would (batches). */
  function backlog(name: string, n: number): { outbox: SqliteOutbox; seqs: number[] } {
    const outbox = outboxAt(name);
    for (let i = 0; i < n; i++) outbox.putTelemetry(telemetryBody(i));
    outbox.flush();
    return { outbox, seqs: outbox.pending(n).map((m) => m.seq) };
  }
  /** What the drain hands over while connected: telemetry's marks, deferred, a few PUBACKs at a time. */
  function ackAll(outbox: SqliteOutbox, seqs: readonly number[]): void {
    for (let i = 0; i < seqs.length; i += 20) outbox.markDeliveredLater(seqs.slice(i, i + 20));
  }

  it("no mark of a replay's batch checkpoints; settle writes the last marks and checkpoints, once, every frame", () => {
    const { outbox, seqs } = backlog("replay.db", 3000);
    const file = join(dir, "replay.db");
    // Whatever the backlog's commits left in the WAL is copied first.
    outbox.markDelivered([]);
    outbox.durably(() => outbox.kv.set("x", "1"));
    expect(outbox.settle()).toBeUndefined();
    // A replay's marks write few frames since schema 4 (keys out of `pending`, no message row): durable
    // commits, which never checkpoint at SQLite's bound, bring the WAL past it first, so that any relaxed
    // commit would checkpoint now.
    for (let i = 0; i < 150; i++) press(outbox, i);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(CHECKPOINT_FRAMES * FRAME);
    const start = statSync(file).size;
    const mtime = statSync(file).mtimeMs;
    ackAll(outbox, seqs);
    expect(outbox.depth().telemetry).toBe(0);
    // Past SQLite's 1000 frames, and no batch copied them.
    expect(statSync(file).size).toBe(start);
    expect(statSync(file).mtimeMs).toBe(mtime);
    // The last 184 marks (3,000 is not a multiple of a batch) are written by settle, before it copies.
    const wal = statSync(`${file}-wal`).size;
    const done = outbox.settle();
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(wal);
    expect(done?.log).toBeGreaterThan(CHECKPOINT_FRAMES);
    expect(done?.checkpointed).toBe(done?.log);
    expect(statSync(file).mtimeMs).toBeGreaterThan(mtime);
    expect(outbox.settle()).toBeUndefined();
    outbox.close();
  });

  it("the WAL stays within the far bound however long the replay", () => {
    const { outbox, seqs } = backlog("long-replay.db", 20_000);
    ackAll(outbox, seqs);
    expect(outbox.depth().telemetry).toBe(0);
    const done = outbox.settle();
    // The far bound holds whatever the marks write (since schema 4 a few frames per batch of 256).
    expect(done?.log).toBeLessThanOrEqual(DURABLE_CHECKPOINT_FRAMES);
    expect(done?.checkpointed).toBe(done?.log);
    outbox.close();
  });

  it("marks that are not a replay's batch (an alert's, a few telemetry rows) checkpoint as before and owe nothing", () => {
    const { outbox, seqs } = backlog("few.db", 3000);
    for (const s of seqs.slice(0, 100)) outbox.markDelivered([s]);
    expect(outbox.settle()).toBeUndefined();
    outbox.close();
  });
});
