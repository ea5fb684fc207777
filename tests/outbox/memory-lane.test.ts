import { describe, expect, it } from "vitest";
import type { StoredType } from "../../src/contract/stored.js";
import { SeededIds } from "../../src/core/ids.js";
import type { Ledger } from "../../src/outbox/db.js";
import { emptyLedger } from "../../src/outbox/ledger.js";
import { MemoryLane } from "../../src/outbox/memory-lane.js";
import type { Draft } from "../../src/outbox/write.js";
import { alertBody, alertId, eventBody } from "./fixtures.js";

/** The memory lane on its own: seqs from the ledger, replay order, and what goes first when it is full. */
const opts = { home: "home-1", ids: new SeededIds("lane"), ts: (ms: number) => new Date(ms).toISOString() };
const d = (type: StoredType, n: number): Draft => ({
  type,
  body: type === "alert" ? alertBody(alertId(n)) : eventBody(n),
  wallMs: 1_700_000_000_000 + n,
  synced: true,
});

describe("MemoryLane", () => {
  it("takes seqs from the ledger, never reusing one; pending is alerts first, then events, each by seq", () => {
    const ledger: Ledger = { lastSeq: 41, laneSeq: { alert: 7, event: 20, telemetry: 0 }, size: 0 };
    const lane = new MemoryLane();
    const held = [d("event", 1), d("alert", 2), d("event", 3), d("alert", 4)].map(
      (x) => lane.hold(x, ledger, opts).envelope,
    );
    expect(held.map((e) => e.seq)).toEqual([42, 43, 44, 45]);
    // Each lane goes on from its own counter, as a write to disk would have.
    expect(held.map((e) => e.lane_seq)).toEqual([21, 8, 22, 9]);
    expect(ledger.laneSeq).toEqual({ alert: 9, event: 22, telemetry: 0 });
    expect(ledger.lastSeq).toBe(45);
    expect(lane.pending(10).map((m) => m.seq)).toEqual([43, 45, 42, 44]);
    expect(lane.markDelivered([43, 99])).toEqual([99]);
    expect(lane.pending(10).map((m) => m.seq)).toEqual([45, 42, 44]);
    expect(lane.depth()).toEqual({ alert: 1, event: 2, telemetry: 0 });
    expect(lane.alertState(alertId(2), undefined)).toMatchObject({
      kind: "call",
      state: "raised",
      raisedSeq: 43,
    });
  });

  it("full: a delivered message goes first, then the oldest event, an alert only when nothing else is left; every drop counted", () => {
    const ledger: Ledger = { ...emptyLedger() };
    const lane = new MemoryLane(3);
    lane.hold(d("alert", 1), ledger, opts);
    lane.hold(d("event", 2), ledger, opts);
    lane.hold(d("alert", 3), ledger, opts);
    lane.markDelivered([1]);
    expect(lane.hold(d("alert", 4), ledger, opts).dropped?.message.seq).toBe(1);
    expect(lane.hold(d("alert", 5), ledger, opts).dropped?.message.seq).toBe(2);
    expect(lane.hold(d("alert", 6), ledger, opts).dropped?.message.seq).toBe(3);
    expect(lane.dropped).toBe(3);
    expect(lane.pending(10).map((m) => m.seq)).toEqual([4, 5, 6]);
  });
});
