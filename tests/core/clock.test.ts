import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { ErrorCode } from "../../src/core/errors.js";
import { thrown } from "../helpers/errors.js";

describe("VirtualClock", () => {
  it("fires timers in time order as time passes, intervals repeatedly", () => {
    const c = new VirtualClock({ wallStartMs: 0 });
    const fired: string[] = [];
    c.setTimeout(() => fired.push(`b@${c.monotonicMs()}`), 200);
    c.setTimeout(() => fired.push(`a@${c.monotonicMs()}`), 100);
    const iv = c.setInterval(() => fired.push(`i@${c.monotonicMs()}`), 150);
    c.advanceTo(320);
    expect(fired).toEqual(["a@100", "i@150", "b@200", "i@300"]);
    iv.cancel();
    c.advanceBy(1000);
    expect(fired).toHaveLength(4);
    expect(c.monotonicMs()).toBe(1320);
  });

  it("drops a cancelled timer and fires the others when advanced a little at a time", () => {
    const c = new VirtualClock({ wallStartMs: 0 });
    const fired: string[] = [];
    const iv = c.setInterval(() => fired.push(`i@${c.monotonicMs()}`), 100);
    const gone = c.setTimeout(() => fired.push("gone"), 150);
    c.setTimeout(() => fired.push(`t@${c.monotonicMs()}`), 250);
    for (let t = 10; t <= 120; t += 10) c.advanceTo(t);
    gone.cancel();
    expect(c.nextTimerAt()).toBe(200);
    for (let t = 130; t <= 400; t += 10) c.advanceTo(t);
    iv.cancel();
    c.advanceTo(1000);
    expect(fired).toEqual(["i@100", "i@200", "t@250", "i@300", "i@400"]);
    expect(c.nextTimerAt()).toBeUndefined();
  });

  it("fires timers due at the same time in the order they were set", () => {
    const c = new VirtualClock({ wallStartMs: 0 });
    const fired: string[] = [];
    for (const [name, at] of [
      ["a", 100],
      ["b", 100],
      ["c", 50],
      ["d", 100],
      ["e", 20],
      ["f", 100],
    ] as const)
      c.setTimeout(() => fired.push(name), at);
    c.setInterval(() => fired.push("i"), 50);
    c.advanceTo(100);
    expect(fired).toEqual(["e", "c", "i", "a", "b", "d", "f", "i"]);
  });

  it("moves wall time on sync without moving monotonic time", () => {
    const c = new VirtualClock({ wallStartMs: 0, synced: false });
    c.advanceBy(5000);
    c.setWall(Date.UTC(2026, 5, 1));
    expect(c.monotonicMs()).toBe(5000);
    expect(c.wallMs()).toBe(Date.UTC(2026, 5, 1));
    expect(c.wallSynced()).toBe(true);
  });

  it("refuses to go back", () => {
    const c = new VirtualClock();
    c.advanceTo(10);
    const e = thrown(() => c.advanceTo(5));
    expect([e.code, e.context]).toEqual([ErrorCode.Internal, { to: 5, now: 10 }]);
    expect(c.monotonicMs()).toBe(10);
  });
});
