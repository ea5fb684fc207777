import { describe, expect, it } from "vitest";
import { Backoff } from "../../src/core/backoff.js";
import { VirtualClock } from "../../src/core/clock.js";

describe("Backoff", () => {
  it("doubles from the initial wait up to the maximum, with equal jitter", () => {
    const lo = new Backoff({ initialMs: 1000, maxMs: 8000, random: () => 0 });
    expect(Array.from({ length: 6 }, () => lo.next())).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    const hi = new Backoff({ initialMs: 1000, maxMs: 8000, random: () => 0.999999 });
    expect(Array.from({ length: 6 }, () => hi.next())).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it("starts over after reset()", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, random: () => 0 });
    b.next();
    b.next();
    b.next();
    expect(b.attempt).toBe(3);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(50);
  });

  it("never exceeds the maximum nor goes below half the current base", () => {
    let x = 0.37;
    const b = new Backoff({
      initialMs: 250,
      maxMs: 120_000,
      random: () => {
        x = (x * 9301 + 0.49297) % 1;
        return x;
      },
    });
    let base = 250;
    for (let i = 0; i < 40; i++) {
      const w = b.next();
      expect(w).toBeGreaterThanOrEqual(Math.floor(base / 2));
      expect(w).toBeLessThanOrEqual(Math.min(base, 120_000));
      base = Math.min(120_000, base * 2);
    }
  });

  it("a fractional jitter spreads the base both ways, with any factor", () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000, factor: 3, jitter: 0.25, random: () => 0 });
    expect(Array.from({ length: 4 }, () => low.next())).toEqual([75, 225, 675, 750]);
    const high = new Backoff({ initialMs: 100, maxMs: 1000, factor: 3, jitter: 0.25, random: () => 1 });
    expect(Array.from({ length: 4 }, () => high.next())).toEqual([125, 375, 1125, 1250]);
  });

  it("without jitter gives the bare base, and nextAt counts from the injected clock", () => {
    const clock = new VirtualClock();
    clock.advanceBy(5000);
    const b = new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: "none", clock });
    expect(b.nextAt()).toBe(clock.monotonicMs() + 1000);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      2000, 4000, 8000, 16_000, 32_000, 60_000,
    ]);
    expect(() => new Backoff({ initialMs: 1, maxMs: 2 }).nextAt()).toThrow(/needs a clock/);
  });
});
