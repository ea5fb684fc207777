import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import type { StoredMessage } from "../../src/contract/stored.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { MINUTE_MS, SECOND_MS } from "../../src/core/time.js";
import { LATER_MARKS_MS, LaterMarks, MAX_LATER_MARKS } from "../../src/outbox/later-marks.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { GATHER_MS, TelemetrySlots } from "../../src/pipeline/telemetry.js";
import { eventBody, outboxOptions, telemetryBody } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-later-marks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function outboxAt(path: string, clock: VirtualClock): SqliteOutbox {
  return new SqliteOutbox(
    outboxOptions(path, { clock, ids: new SeededIds(`later-${n++}`), telemetryFlushMs: 2 * SECOND_MS }),
  );
}

/** Bytes of the outbox's WAL: a commit appends frames to it, and nothing else does. */
const walBytes = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);

describe("telemetry commits and deferred delivery marks (issue 14, disk writes)", () => {
  it("a slot's messages from six devices polled at their own phases are one commit, marks included", () => {
    const clock = new VirtualClock({ monotonicStartMs: 0 });
    const path = join(dir, `slots-${n}.db`);
    const outbox = outboxAt(path, clock);
    outbox.open();
    const slot = 5 * MINUTE_MS;
    const slots = new TelemetrySlots({ everyMs: slot, clock, put: (b) => outbox.putTelemetry(b) });
    // The broker acknowledges at once; the drain hands telemetry's marks over as deferred.
    const acked: number[] = [];
    outbox.onWrite(() => {
      const sent = outbox.pending(100).map((m) => m.seq);
      acked.push(...sent);
      outbox.markDeliveredLater(sent);
    });
    const body = (device: string, t: number) => ({
      device,
      at: "2026-01-01T08:00:00.000+08:00",
      values: [{ channel: "power_w" as const, value: t, unit: "W" }],
    });
    // Three meters every 2-3 s at their own phases, a motion sensor every 2 min, a door every 10.
    const devices = [
      { id: "meter-1", every: 2_000, phase: 300 },
      { id: "meter-2", every: 3_000, phase: 1_100 },
      { id: "meter-3", every: 2_500, phase: 2_200 },
      { id: "motion", every: 2 * MINUTE_MS, phase: 47_000 },
      { id: "door", every: 10 * MINUTE_MS, phase: 200_000 },
      { id: "button", every: 4 * MINUTE_MS, phase: 90_000 },
    ];
    const growth: number[] = [];
    let wal = walBytes(path);
    const end = 4 * slot + 30 * SECOND_MS;
    for (let t = 0; t <= end; t += 100) {
      clock.advanceTo(t);
      for (const d of devices) if (t % d.every === d.phase % d.every) slots.offer(body(d.id, t));
      const now = walBytes(path);
      if (now !== wal) growth.push(t);
      wal = now;
    }
    // After the first messages (each device's first since start), one commit per slot, at its release
    // plus the outbox's 2 s flush: the marks of the slot before ride in it.
    const afterStart = growth.filter((t) => t >= slot);
    expect(afterStart).toEqual([1, 2, 3, 4].map((k) => k * slot + GATHER_MS + 2 * SECOND_MS));
    // Every device sent once a slot; all but the last slot's rows are marked delivered on disk.
    expect(acked.length).toBeGreaterThanOrEqual(6 * 4);
    expect(outbox.pending(100)).toEqual([]);
    outbox.close();
    const again = outboxAt(path, clock);
    again.open();
    // The last slot's marks were written at close.
    expect(again.pending(100)).toEqual([]);
    expect(again.depth()).toEqual({ alert: 0, event: 0, telemetry: 0 });
    again.close();
  });

  it("deferred marks: delivered for pending and depth at once, on disk at the bound or with a mark that cannot wait", () => {
    const clock = new VirtualClock({ monotonicStartMs: 0 });
    const path = join(dir, `bound-${n}.db`);
    const outbox = outboxAt(path, clock);
    outbox.open();
    for (let i = 0; i < 5; i++) outbox.putTelemetry(telemetryBody(i));
    outbox.flush();
    const rows = outbox.pending(10);
    expect(rows).toHaveLength(5);
    const before = walBytes(path);
    outbox.markDeliveredLater(rows.slice(0, 3).map((m) => m.seq));
    expect(outbox.pending(10).map((m) => m.seq)).toEqual(rows.slice(3).map((m) => m.seq));
    expect(outbox.depth().telemetry).toBe(2);
    expect(walBytes(path)).toBe(before);
    clock.advanceBy(LATER_MARKS_MS - 1);
    expect(walBytes(path)).toBe(before);
    clock.advanceBy(1);
    // The bound: written in a commit of their own.
    const atBound = walBytes(path);
    expect(atBound).toBeGreaterThan(before);
    // Another deferred mark, then an event's mark (one that cannot wait) takes it along.
    outbox.markDeliveredLater([rows[3]?.seq ?? 0]);
    const e = outbox.putEvent(eventBody(1));
    const afterEvent = walBytes(path);
    outbox.markDelivered([e.seq]);
    expect(walBytes(path)).toBeGreaterThan(afterEvent);
    clock.advanceBy(LATER_MARKS_MS);
    // Nothing was left to write at the bound.
    const settled = walBytes(path);
    clock.advanceBy(LATER_MARKS_MS);
    expect(walBytes(path)).toBe(settled);
    expect(outbox.pending(10).map((m) => m.seq)).toEqual([rows[4]?.seq]);
    outbox.close();
    const again = outboxAt(path, clock);
    again.open();
    expect(again.pending(10).map((m) => m.seq)).toEqual([rows[4]?.seq]);
    again.close();
  });

  it("a replay's marks stay batches: written at MAX_LATER_MARKS without waiting for the bound", () => {
    const clock = new VirtualClock({ monotonicStartMs: 0 });
    const path = join(dir, `batch-${n}.db`);
    const outbox = outboxAt(path, clock);
    outbox.open();
    for (let i = 0; i < MAX_LATER_MARKS + 10; i++) outbox.putTelemetry(telemetryBody(i));
    outbox.flush();
    const rows = outbox.pending(MAX_LATER_MARKS + 10).map((m) => m.seq);
    const before = walBytes(path);
    outbox.markDeliveredLater(rows.slice(0, MAX_LATER_MARKS - 1));
    expect(walBytes(path)).toBe(before);
    outbox.markDeliveredLater(rows.slice(MAX_LATER_MARKS - 1, MAX_LATER_MARKS));
    expect(walBytes(path)).toBeGreaterThan(before);
    expect(outbox.pending(1000)).toHaveLength(10);
    outbox.close();
  });

  it("SIGKILL before a deferred mark is written: those rows are sent again with the same ids, none lost", async () => {
    const path = join(dir, "killed.db");
    const slots = await new Promise<string[][]>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [join("node_modules", "vite-node", "vite-node.mjs"), "tests/outbox/later-marks-child.ts", path],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      const seen: string[][] = [];
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      createInterface({ input: child.stdout }).on("line", (line) => {
        if (line.startsWith("SLOT ")) seen.push(line.split(" ").slice(2));
        if (line === "DONE") child.kill("SIGKILL");
      });
      child.on("error", reject);
      child.on("close", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`child ended with ${code ?? signal}: ${stderr}`));
        else resolve(seen);
      });
    });
    expect(slots.map((s) => s.length)).toEqual([6, 6]);
    const outbox = new SqliteOutbox(outboxOptions(path));
    outbox.open();
    // The first slot's marks rode in the second slot's commit; the second slot's died with the process:
    // those rows go out again, same ids (the cloud drops the copies), and nothing else is pending.
    expect(outbox.pending(100).map((m) => m.id)).toEqual(slots[1]);
    expect(outbox.deliveredRange(0).map((m) => m.id)).toEqual(slots[0]);
    outbox.close();
  });
});

describe("the pending read skips a replay's deferred marks as a run (issue 14, replay)", () => {
  it("leaves out the run of consecutive seqs in the query, the few outside it in memory", () => {
    const marks = new LaterMarks(new VirtualClock(), MINUTE_MS, () => {});
    const rows = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i }) as StoredMessage);
    const reads: number[][] = [];
    // A fake outbox: pending rows 1..100 in seq order; `lo..hi` skipped as the query would.
    const read = (n: number, lo: number, hi: number) => {
      reads.push([n, lo, hi]);
      return rows(1, 100)
        .filter((m) => m.seq < lo || m.seq > hi)
        .slice(0, n);
    };
    expect(marks.without(read, 3).map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(reads.at(-1)).toEqual([3, 0, -1]);
    // PUBACKs in publish order, one of them (5) after the one behind it, and 9 alone (8 unacknowledged).
    marks.add([1, 2, 3]);
    marks.add([4, 6]);
    marks.add([5]);
    marks.add([9]);
    expect(marks.without(read, 4).map((m) => m.seq)).toEqual([7, 8, 10, 11]);
    // The run 1..6 is skipped by the query; 9 is read and dropped: one row more is asked for.
    expect(reads.at(-1)).toEqual([5, 1, 6]);
    marks.take();
    expect(marks.without(read, 2).map((m) => m.seq)).toEqual([1, 2]);
    expect(reads.at(-1)).toEqual([2, 0, -1]);
    // Below the run too: 18 waits outside it until 19 joins them.
    marks.add([20]);
    marks.add([18]);
    marks.add([19]);
    expect(marks.without(read, 2).map((m) => m.seq)).toEqual([1, 2]);
    expect(reads.at(-1)).toEqual([2, 18, 20]);
  });

  it("an outbox's pending rows leave out exactly the deferred ones, in and out of the run", () => {
    const clock = new VirtualClock({ monotonicStartMs: 0 });
    const outbox = outboxAt(join(dir, `run-${n}.db`), clock);
    outbox.open();
    for (let i = 0; i < 40; i++) outbox.putTelemetry(telemetryBody(i));
    outbox.flush();
    const seqs = outbox.pending(100).map((m) => m.seq);
    const deferred = [...seqs.slice(0, 20), seqs[25] as number, seqs[30] as number];
    outbox.markDeliveredLater(deferred);
    const left = outbox.pending(100).map((m) => m.seq);
    expect(left).toEqual(seqs.filter((s) => !deferred.includes(s)));
    expect(outbox.pending(3).map((m) => m.seq)).toEqual(seqs.slice(20, 23));
    expect(outbox.depth().telemetry).toBe(40 - deferred.length);
    outbox.close();
  });
});
