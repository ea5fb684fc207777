import { describe, expect, it } from "vitest";
import { MINUTE_MS } from "../../src/core/time.js";
import { WaterModel } from "../../src/pipeline/water.js";

describe("water model: resolution and leaks", () => {
  it("counts a rise of at least the resolution, accumulating smaller ones", () => {
    const w = new WaterModel({ resolutionM3: 0.01, leakAfterMs: 120 * MINUTE_MS, gapMs: 20 * MINUTE_MS });
    expect(w.observe(100, 0).kind).toBe("none");
    expect(w.observe(100.004, MINUTE_MS).kind).toBe("none"); // 4 L < 10 L resolution
    const v = w.observe(100.01, 2 * MINUTE_MS);
    expect(v).toEqual({ kind: "activity", usedM3: expect.closeTo(0.01, 6) });
    expect(w.observe(100.01, 3 * MINUTE_MS).kind).toBe("none");
  });

  it("a meter that goes back (replaced) starts again instead of counting", () => {
    const w = new WaterModel({ resolutionM3: 0.001, leakAfterMs: 120 * MINUTE_MS, gapMs: 20 * MINUTE_MS });
    w.observe(100, 0);
    expect(w.observe(3, MINUTE_MS).kind).toBe("none");
    expect(w.observe(3.002, 2 * MINUTE_MS).kind).toBe("activity");
  });

  it("flow that never pauses for 2 h is a leak; then only flow above the leak rate counts; it ends after a pause", () => {
    const w = new WaterModel({ resolutionM3: 0.001, leakAfterMs: 120 * MINUTE_MS, gapMs: 20 * MINUTE_MS });
    let total = 50;
    w.observe(total, 0);
    let leak: ReturnType<WaterModel["observe"]> | undefined;
    let t = 0;
    // 0.5 L a minute, a reading every minute.
    for (let i = 1; i <= 130 && !leak; i++) {
      t = i * MINUTE_MS;
      total += 0.0005;
      const v = w.observe(total, t);
      if (v.kind === "leak_started") leak = v;
    }
    expect(leak?.kind).toBe("leak_started");
    expect(t).toBeGreaterThanOrEqual(120 * MINUTE_MS);
    expect(t).toBeLessThanOrEqual(125 * MINUTE_MS);
    expect(w.leakRateM3h()).toBeCloseTo(0.03, 3);
    // The leak's own flow goes on: no activity.
    const kinds = new Set<string>();
    for (let i = 0; i < 30; i++) {
      t += MINUTE_MS;
      total += 0.0005;
      kinds.add(w.observe(total, t).kind);
    }
    expect(kinds.has("activity")).toBe(false);
    // Someone fills a kettle: 3 L on top of the leak in one minute.
    t += MINUTE_MS;
    total += 0.0035;
    expect(w.observe(total, t).kind).toBe("activity");
    // The leak stops: over once the pause is longer than the gap.
    expect(w.leakEnded(t + 10 * MINUTE_MS)).toBe(false);
    expect(w.leakEnded(t + 21 * MINUTE_MS)).toBe(true);
    expect(w.leaking).toBe(false);
  });

  it("ordinary use with pauses is never a leak", () => {
    const w = new WaterModel({ resolutionM3: 0.001, leakAfterMs: 120 * MINUTE_MS, gapMs: 20 * MINUTE_MS });
    let total = 10;
    w.observe(total, 0);
    const kinds = new Set<string>();
    // 3 minutes of flow every 30 minutes for 8 hours.
    for (let m = 1; m < 480; m++) {
      if (m % 30 < 3) total += 0.005;
      kinds.add(w.observe(total, m * MINUTE_MS).kind);
    }
    expect(kinds.has("leak_started")).toBe(false);
    expect(kinds.has("activity")).toBe(true);
  });
});
