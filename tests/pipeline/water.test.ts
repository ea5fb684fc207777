import { describe, expect, it } from "vitest";
import { WaterModel } from "../../src/pipeline/water.js";

const MIN = 60_000;

describe("water model: resolution and leaks", () => {
  it("counts a rise of at least the resolution, accumulating smaller ones", () => {
    const w = new WaterModel({ resolutionM3: 0.01, leakAfterMs: 120 * MIN, gapMs: 20 * MIN });
    expect(w.observe(100, 0).kind).toBe("none");
    expect(w.observe(100.004, MIN).kind).toBe("none"); // 4 L < 10 L resolution
    const v = w.observe(100.01, 2 * MIN);
    expect(v).toEqual({ kind: "activity", usedM3: expect.closeTo(0.01, 6) });
    expect(w.observe(100.01, 3 * MIN).kind).toBe("none");
  });

  it("a meter that goes back (replaced) starts again instead of counting", () => {
    const w = new WaterModel({ resolutionM3: 0.001, leakAfterMs: 120 * MIN, gapMs: 20 * MIN });
    w.observe(100, 0);
    expect(w.observe(3, MIN).kind).toBe("none");
    expect(w.observe(3.002, 2 * MIN).kind).toBe("activity");
  });

  it("flow that never pauses for 2 h is a leak; then only flow above the leak rate counts; it ends after a pause", () => {
    const w = new WaterModel({ resolutionM3: 0.001, leakAfterMs: 120 * MIN, gapMs: 20 * MIN });
    let total = 50;
    w.observe(total, 0);
    let leak: ReturnType<WaterModel["observe"]> | undefined;
    let t = 0;
    // 0.5 L a minute, a reading every minute.
    for (let i = 1; i <= 130 && !leak; i++) {
      t = i * MIN;
      total += 0.0005;
      const v = w.observe(total, t);
      if (v.kind === "leak_started") leak = v;
    }
    expect(leak?.kind).toBe("leak_started");
    expect(t).toBeGreaterThanOrEqual(120 * MIN);
    expect(t).toBeLessThanOrEqual(125 * MIN);
    expect(w.leakRateM3h()).toBeCloseTo(0.03, 3);
    // The leak's own flow goes on: no activity.
    const kinds = new Set<string>();
    for (let i = 0; i < 30; i++) {
      t += MIN;
      total += 0.0005;
      kinds.add(w.observe(total, t).kind);
    }
    expect(kinds.has("activity")).toBe(false);
    // Someone fills a kettle: 3 L on top of the leak in one minute.
    t += MIN;
    total += 0.0035;
    expect(w.observe(total, t).kind).toBe("activity");
    // The leak stops: over once the pause is longer than the gap.
    expect(w.leakEnded(t + 10 * MIN)).toBe(false);
    expect(w.leakEnded(t + 21 * MIN)).toBe(true);
    expect(w.leaking).toBe(false);
  });

  it("ordinary use with pauses is never a leak", () => {
    const w = new WaterModel({ resolutionM3: 0.001, leakAfterMs: 120 * MIN, gapMs: 20 * MIN });
    let total = 10;
    w.observe(total, 0);
    const kinds = new Set<string>();
    // 3 minutes of flow every 30 minutes for 8 hours.
    for (let m = 1; m < 480; m++) {
      if (m % 30 < 3) total += 0.005;
      kinds.add(w.observe(total, m * MIN).kind);
    }
    expect(kinds.has("leak_started")).toBe(false);
    expect(kinds.has("activity")).toBe(true);
  });
});
