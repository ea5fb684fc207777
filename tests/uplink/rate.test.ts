import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { RateLimiter } from "../../src/uplink/rate.js";

function takeAll(r: RateLimiter): number {
  let n = 0;
  while (r.tryTake()) n++;
  return n;
}

describe("RateLimiter", () => {
  it("allows `perSecond` takes per second on the clock, in bursts of a tenth of a second", () => {
    const clock = new VirtualClock();
    const r = new RateLimiter(clock, 50);
    expect(takeAll(r)).toBe(5);
    expect(r.waitMs()).toBe(20);
    let total = 5;
    for (let i = 0; i < 100; i++) {
      clock.advanceBy(10);
      total += takeAll(r);
    }
    // One second later: the initial burst plus one second's worth.
    expect(total).toBe(55);
  });

  it("keeps at most one burst while idle", () => {
    const clock = new VirtualClock();
    const r = new RateLimiter(clock, 20);
    takeAll(r);
    clock.advanceBy(60_000);
    expect(takeAll(r)).toBe(2);
  });

  it("never refuses when unbounded", () => {
    const r = new RateLimiter(new VirtualClock(), Number.POSITIVE_INFINITY);
    let n = 0;
    for (let i = 0; i < 10_000; i++) if (r.tryTake()) n++;
    expect(n).toBe(10_000);
    expect(r.waitMs()).toBe(0);
  });
});
