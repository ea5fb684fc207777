import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MINUTE_MS } from "../../src/core/time.js";
import { LocalClock } from "../../src/pipeline/local-time.js";

/** Zones with summer time, and with offsets of half and three quarters of an hour. */
const ZONES = ["Europe/Berlin", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe", "Asia/Shanghai"];

describe("LocalClock", () => {
  it("gives, asked again and again, what a fresh clock gives for each instant, around summer-time changes too", () => {
    // Instants in runs: several in one minute, the next minute, an hour on (offset changes are on the hour).
    const instant = fc.record({
      base: fc.constantFrom(
        Date.parse("2026-03-29T00:59:00Z"), // Berlin springs forward at 01:00 UTC
        Date.parse("2026-10-25T00:59:00Z"),
        Date.parse("2026-04-05T14:59:00Z"), // Lord Howe: half an hour back at 15:00 UTC
        Date.parse("2026-03-08T05:29:00Z"), // St John's
        Date.parse("2026-06-01T12:00:00Z"),
      ),
      steps: fc.array(fc.integer({ min: -3 * MINUTE_MS, max: 70 * MINUTE_MS }), {
        minLength: 1,
        maxLength: 40,
      }),
    });
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), instant, (zone, { base, steps }) => {
        const lc = new LocalClock(zone);
        for (const s of steps) {
          const t = base + s;
          expect(lc.at(t)).toEqual(new LocalClock(zone).at(t));
          expect(lc.at(t + 1)).toEqual(new LocalClock(zone).at(t + 1));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("reads the local hour and minute across a summer-time change", () => {
    const lc = new LocalClock("Europe/Berlin");
    expect(lc.at(Date.parse("2026-03-29T00:59:30Z"))).toMatchObject({ hour: 1, minuteOfDay: 119 });
    expect(lc.at(Date.parse("2026-03-29T00:59:59Z"))).toMatchObject({ hour: 1, minuteOfDay: 119 });
    expect(lc.at(Date.parse("2026-03-29T01:00:00Z"))).toMatchObject({ hour: 3, minuteOfDay: 180 });
    // The answer is shared between callers: nobody may change it.
    expect(Object.isFrozen(lc.at(Date.parse("2026-03-29T01:00:00Z")))).toBe(true);
  });
});
