import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { outboxOptions, telemetryBody } from "./fixtures.js";
import { onDisk, walBytes } from "./on-disk.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-burst-hold-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const HOLD_MS = 15 * MINUTE_MS;
const SLOT_MS = 5 * MINUTE_MS;

function outboxAt(path: string, clock: VirtualClock, holdMs: number): SqliteOutbox {
  return new SqliteOutbox(
    outboxOptions(path, {
      clock,
      ids: new SeededIds(`hold-${n++}`),
      telemetryFlushMs: 2 * SECOND_MS,
      telemetryHoldMs: holdMs,
      retentionMs: 24 * HOUR_MS,
    }),
  );
}

/** An open outbox whose first telemetry row is committed (it wrote the reserve bursts number under). */
function started(path: string, clock: VirtualClock, holdMs: number): SqliteOutbox {
  const outbox = outboxAt(path, clock, holdMs);
  outbox.open();
  outbox.putTelemetry(telemetryBody(0));
  clock.advanceBy(2 * SECOND_MS);
  expect(outbox.pending(10).map((m) => m.seq)).toEqual([1]);
  return outbox;
}

/** One telemetry slot: `rows` rows put, published, and acknowledged unless `unacked` says which not. */
function slot(outbox: SqliteOutbox, rows: number, unacked: number[] = []): number[] {
  for (let i = 0; i < rows; i++) outbox.putTelemetry(telemetryBody(i));
  const sent = outbox
    .pending(100)
    .map((m) => m.seq)
    .filter((s) => s > 1);
  const acked = sent.filter((s) => !unacked.includes(s));
  outbox.markDeliveredLater(acked);
  return sent;
}

describe("an acknowledged burst held for the next slots (issue 14, disk writes)", () => {
  it("three acknowledged slots share one commit, at the hold's end", () => {
    const clock = new VirtualClock();
    const path = join(dir, `shared-${n}.db`);
    const outbox = started(path, clock, HOLD_MS);
    const wal = walBytes(path);
    slot(outbox, 3);
    clock.advanceBy(SLOT_MS);
    slot(outbox, 3);
    clock.advanceBy(SLOT_MS);
    slot(outbox, 3);
    // 10 minutes and three flush windows on: nothing written yet.
    clock.advanceBy(SLOT_MS - 2 * SECOND_MS);
    expect(walBytes(path)).toBe(wal);
    expect(outbox.depth().telemetry).toBe(1);
    clock.advanceBy(2 * SECOND_MS);
    expect(walBytes(path)).toBeGreaterThan(wal);
    outbox.close();
    expect([...onDisk(path)]).toEqual([[1, false], ...Array.from({ length: 9 }, (_, i) => [i + 2, true])]);
  });

  it("writes fewer bytes than a commit per slot for the same rows", () => {
    const bytes = (holdMs: number) => {
      const clock = new VirtualClock();
      const path = join(dir, `bytes-${holdMs}-${n}.db`);
      const outbox = started(path, clock, holdMs);
      const wal = walBytes(path);
      for (let s = 0; s < 3; s++) {
        slot(outbox, 4);
        clock.advanceBy(SLOT_MS);
      }
      const written = walBytes(path) - wal;
      outbox.close();
      expect([...onDisk(path)]).toHaveLength(13);
      return written;
    };
    const perSlot = bytes(0);
    const held = bytes(HOLD_MS);
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(perSlot);
  });

  it("a row not acknowledged by its flush window commits everything held then, that row pending", () => {
    const clock = new VirtualClock();
    const path = join(dir, `unacked-${n}.db`);
    const outbox = started(path, clock, HOLD_MS);
    const wal = walBytes(path);
    slot(outbox, 2);
    clock.advanceBy(SLOT_MS);
    const wal2 = walBytes(path);
    expect(wal2).toBe(wal);
    const sent = slot(outbox, 2, [5]);
    expect(sent).toEqual([4, 5]);
    clock.advanceBy(2 * SECOND_MS);
    // What the cloud does not have waits no longer than the flush window, and takes the held rows along.
    expect(walBytes(path)).toBeGreaterThan(wal2);
    expect(outbox.pending(10).map((m) => m.seq)).toEqual([1, 5]);
    outbox.close();
    expect([...onDisk(path)]).toEqual([
      [1, false],
      [2, true],
      [3, true],
      [4, true],
      [5, false],
    ]);
  });

  it("what reads delivered rows (resend, deliveredRange) and a clean stop see the held rows", () => {
    const clock = new VirtualClock();
    const path = join(dir, `readers-${n}.db`);
    const outbox = started(path, clock, HOLD_MS);
    slot(outbox, 2);
    clock.advanceBy(SLOT_MS);
    expect(outbox.deliveredRange(2, 3).map((m) => m.seq)).toEqual([2, 3]);
    slot(outbox, 1);
    clock.advanceBy(2 * SECOND_MS);
    outbox.close();
    expect([...onDisk(path).keys()]).toEqual([1, 2, 3, 4]);
  });

  it("a deferred mark of a row on disk waits for the held burst's commit, not a commit of its own", () => {
    const clock = new VirtualClock();
    const path = join(dir, `marks-${n}.db`);
    const outbox = started(path, clock, HOLD_MS);
    const wal = walBytes(path);
    outbox.markDeliveredLater([1]);
    for (let s = 0; s < 3; s++) {
      slot(outbox, 2);
      clock.advanceBy(SLOT_MS - 2 * SECOND_MS);
      // Past the 6-minute bound a mark had without a hold: still nothing written.
      expect(walBytes(path)).toBe(wal);
      clock.advanceBy(2 * SECOND_MS);
    }
    expect(walBytes(path)).toBeGreaterThan(wal);
    outbox.close();
    expect([...onDisk(path).values()].every((delivered) => delivered)).toBe(true);
  });

  it("with no hold (0) an acknowledged burst commits at its flush window, as before", () => {
    const clock = new VirtualClock();
    const path = join(dir, `none-${n}.db`);
    const outbox = started(path, clock, 0);
    const wal = walBytes(path);
    slot(outbox, 2);
    clock.advanceBy(2 * SECOND_MS);
    expect(walBytes(path)).toBeGreaterThan(wal);
    outbox.close();
  });
});
