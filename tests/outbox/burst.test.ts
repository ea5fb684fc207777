import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { eventBody, outboxOptions, telemetryBody } from "./fixtures.js";
import { onDisk, walBytes } from "./on-disk.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-burst-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function outboxAt(path: string, clock = new VirtualClock(), retentionMs = 24 * HOUR_MS): SqliteOutbox {
  return new SqliteOutbox(
    outboxOptions(path, {
      clock,
      ids: new SeededIds(`burst-${n++}`),
      telemetryFlushMs: 2 * SECOND_MS,
      retentionMs,
    }),
  );
}

/** An outbox whose first telemetry batch is committed: it wrote the reserve the bursts number under. */
function started(path: string, clock: VirtualClock): SqliteOutbox {
  const outbox = outboxAt(path, clock);
  outbox.open();
  outbox.putTelemetry(telemetryBody(0));
  clock.advanceBy(2 * SECOND_MS);
  expect(outbox.pending(10).map((m) => m.seq)).toEqual([1]);
  return outbox;
}

describe("telemetry published before its commit (issue 14, disk writes)", () => {
  it("a burst is handed out at once, and rows acknowledged within the window are committed delivered", () => {
    const clock = new VirtualClock();
    const path = join(dir, `acked-${n}.db`);
    const outbox = started(path, clock);
    const wal = walBytes(path);
    let writes = 0;
    outbox.onWrite(() => writes++);
    for (let i = 1; i <= 3; i++) outbox.putTelemetry(telemetryBody(i));
    // The uplink is told and reads them before any commit: same ids and seqs as they will be stored with.
    expect(writes).toBe(3);
    const sent = outbox.pending(10).filter((m) => m.seq > 1);
    expect(sent.map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(sent.map((m) => JSON.parse(m.json ?? "{}").lane_seq)).toEqual([2, 3, 4]);
    expect(walBytes(path)).toBe(wal);
    // The broker acknowledged them (the drain's deferred marks, as for any telemetry while connected).
    outbox.markDeliveredLater(sent.map((m) => m.seq));
    expect(outbox.depth().telemetry).toBe(1);
    clock.advanceBy(2 * SECOND_MS - 1);
    expect(walBytes(path)).toBe(wal);
    clock.advanceBy(1);
    expect(walBytes(path)).toBeGreaterThan(wal);
    expect(outbox.pending(10).map((m) => m.seq)).toEqual([1]);
    outbox.close();
    expect([...onDisk(path)]).toEqual([
      [1, false],
      [2, true],
      [3, true],
      [4, true],
    ]);
  });

  it("a row not acknowledged in time is committed pending, goes out again, and its late mark rides later", () => {
    const clock = new VirtualClock();
    const path = join(dir, `late-${n}.db`);
    const outbox = started(path, clock);
    outbox.putTelemetry(telemetryBody(1));
    outbox.putTelemetry(telemetryBody(2));
    const sent = outbox.pending(10).filter((m) => m.seq > 1);
    expect(sent.map((m) => m.seq)).toEqual([2, 3]);
    outbox.markDeliveredLater([2]);
    clock.advanceBy(2 * SECOND_MS);
    // Seq 3 is pending on disk now, with the id it was first published with.
    const again = outbox.pending(10).find((m) => m.seq === 3);
    expect(again?.id).toBe(sent[1]?.id);
    expect(again?.json).toBe(sent[1]?.json);
    // Its PUBACK comes after the commit: a deferred mark, written with the next commit.
    outbox.markDeliveredLater([3]);
    expect(outbox.pending(10).map((m) => m.seq)).toEqual([1]);
    outbox.putTelemetry(telemetryBody(3));
    clock.advanceBy(2 * SECOND_MS);
    outbox.close();
    expect([...onDisk(path)]).toEqual([
      [1, false],
      [2, true],
      [3, true],
      [4, false],
    ]);
  });

  it("with the uplink down nothing is acknowledged: every row is committed pending, in order, as before", () => {
    const clock = new VirtualClock();
    const path = join(dir, `down-${n}.db`);
    const outbox = started(path, clock);
    for (let i = 1; i <= 4; i++) outbox.putTelemetry(telemetryBody(i));
    outbox.putEvent(eventBody(1));
    clock.advanceBy(2 * SECOND_MS);
    // The event (committed at once) drains first; its seq comes after the burst's, numbered before it.
    expect(outbox.pending(10).map((m) => [m.seq, m.type])).toEqual([
      [6, "event"],
      [1, "telemetry"],
      [2, "telemetry"],
      [3, "telemetry"],
      [4, "telemetry"],
      [5, "telemetry"],
    ]);
    expect(outbox.depth()).toEqual({ alert: 0, event: 1, telemetry: 5 });
    outbox.close();
    expect([...onDisk(path).values()]).toEqual([false, false, false, false, false, false]);
  });

  it("a clean stop leaves no reserve: the next start goes on from the last number used", () => {
    const clock = new VirtualClock();
    const path = join(dir, `clean-${n}.db`);
    const outbox = started(path, clock);
    outbox.putTelemetry(telemetryBody(1));
    outbox.close();
    const again = outboxAt(path, clock);
    again.open();
    expect(again.lastSeq()).toBe(2);
    expect(again.laneSeqs().telemetry).toBe(2);
    again.close();
  });

  it("SIGKILL between publish and commit: committed alerts and events stay, no published number comes again", async () => {
    const path = join(dir, `kill-${n++}.db`);
    const child = spawn(
      process.execPath,
      [join("node_modules", "vite-node", "vite-node.mjs"), "tests/outbox/burst-child.ts", path],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const committed: string[] = [];
    const burst: { seq: number; laneSeq: number; id: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        const [tag, a, b, c] = line.split(" ");
        if (tag === "C" && a) committed.push(a);
        if (tag === "B" && c) burst.push({ seq: Number(a), laneSeq: Number(b), id: c });
        if (line === "READY") child.kill("SIGKILL");
      });
      child.on("exit", (_code, signal) =>
        signal === "SIGKILL" ? resolve() : reject(new Error(`child exited without SIGKILL: ${stderr}`)),
      );
    });
    expect(committed).toHaveLength(3);
    expect(burst.map((b) => b.seq)).toEqual([4, 5, 6]);

    const clock = new VirtualClock();
    const outbox = outboxAt(path, clock);
    outbox.open();
    const pending = outbox.pending(100);
    const ids = new Set(pending.map((m) => m.id));
    for (const id of committed) expect(ids.has(id)).toBe(true);
    // The burst was never committed: lost, telemetry of one window (the cloud may have it already).
    for (const b of burst) expect(ids.has(b.id)).toBe(false);
    expect(pending.filter((m) => m.type === "telemetry")).toHaveLength(1);
    // The next numbers start above everything the killed run may have published.
    expect(outbox.lastSeq()).toBeGreaterThan(Math.max(...burst.map((b) => b.seq)));
    expect(outbox.laneSeqs().telemetry).toBeGreaterThan(Math.max(...burst.map((b) => b.laneSeq)));
    outbox.putTelemetry(telemetryBody(9));
    clock.advanceBy(2 * SECOND_MS);
    const next = outbox.pending(100).find((m) => m.type === "telemetry" && m.seq > 3);
    expect(next?.seq).toBeGreaterThan(6);
    expect(next?.envelope.lane_seq).toBeGreaterThan(Math.max(...burst.map((b) => b.laneSeq)));
    outbox.close();
  }, 60_000);

  it("a due prune rides in the next telemetry commit; without one it runs on its own a period later", () => {
    const clock = new VirtualClock({ monotonicStartMs: 0 });
    const path = join(dir, `prune-${n}.db`);
    const outbox = outboxAt(path, clock, HOUR_MS);
    outbox.open();
    let now = 0;
    const to = (ms: number) => {
      clock.advanceBy(ms - now);
      now = ms;
    };
    // Rows 3 s after the start: the slot commit right after the 60-minute tick does not reach them yet.
    to(3 * SECOND_MS);
    const old = outbox.putEvent(eventBody(1));
    outbox.markDelivered([old.seq]);
    outbox.putTelemetry(telemetryBody(0));
    to(5 * SECOND_MS);
    outbox.markDelivered([2]);
    // A slot's burst every 5 minutes, the broker acknowledging each: the period's prunes ride in them.
    for (let t = 1; t <= 23; t++) {
      to(t * 5 * MINUTE_MS);
      outbox.putTelemetry(telemetryBody(100 + t));
      outbox.markDeliveredLater(outbox.pending(10).map((m) => m.seq));
      to(t * 5 * MINUTE_MS + 2 * SECOND_MS);
    }
    // The 120-minute tick found the event and the first row past retention: due, not pruned on its own.
    to(120 * MINUTE_MS + SECOND_MS);
    const wal = walBytes(path);
    expect(outbox.deliveredRange(0, 2).map((m) => m.seq)).toEqual([1, 2]);
    expect(walBytes(path)).toBe(wal);
    // The next slot's burst: its commit deletes them too.
    outbox.putTelemetry(telemetryBody(1));
    to(120 * MINUTE_MS + 3 * SECOND_MS);
    expect(outbox.deliveredRange(0, 2).map((m) => m.seq)).toEqual([]);
    expect(walBytes(path)).toBeGreaterThan(wal);
    expect(outbox.pending(10).map((m) => m.seq)).toEqual([26]);
    // No telemetry commit after: the prunes run alone at the ticks (180 minutes: due; 240: pruned).
    outbox.markDelivered([26]);
    clock.advanceBy(2 * HOUR_MS + MINUTE_MS);
    expect(outbox.deliveredRange(0).map((m) => m.seq)).toEqual([]);
    outbox.close();
    expect([...onDisk(path)]).toEqual([]);
  });
});
