import { describe, expect, it } from "vitest";
import { Backoff } from "../../src/uplink/backoff.js";

describe("Backoff", () => {
  it("doubles from the initial wait up to the maximum, with equal jitter", () => {
    const lo = new Backoff(1000, 8000, () => 0);
    expect(Array.from({ length: 6 }, () => lo.next())).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    const hi = new Backoff(1000, 8000, () => 0.999999);
    expect(Array.from({ length: 6 }, () => hi.next())).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it("starts over after reset()", () => {
    const b = new Backoff(100, 10_000, () => 0);
    b.next();
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(50);
  });

  it("never exceeds the maximum nor goes below half the current base", () => {
    let x = 0.37;
    const b = new Backoff(250, 120_000, () => {
      x = (x * 9301 + 0.49297) % 1;
      return x;
    });
    let base = 250;
    for (let i = 0; i < 40; i++) {
      const w = b.next();
      expect(w).toBeGreaterThanOrEqual(Math.floor(base / 2));
      expect(w).toBeLessThanOrEqual(Math.min(base, 120_000));
      base = Math.min(120_000, base * 2);
    }
  });
});
