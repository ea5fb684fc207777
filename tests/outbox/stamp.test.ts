import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createStamper, isoWithOffset } from "../../src/contract/timestamps.js";

/**
 * The first, straightforward formatter of contract v1 (one Intl.DateTimeFormat per call), kept here as
 * the independent reference the fast one must agree with.
 */
function reference(msIn: number, timeZone: string): string {
  const ms = Math.floor(msIn);
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "00";
  const local = Date.UTC(
    Number(get("year")),
    Number(get("month")) - 1,
    Number(get("day")),
    Number(get("hour")),
    Number(get("minute")),
    Number(get("second")),
  );
  const offsetMin = Math.round((local - Math.floor(ms / 1000) * 1000) / 60000);
  const sign = offsetMin >= 0 ? "+" : "-";
  const abs = Math.abs(offsetMin);
  const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  const msPart = String(((ms % 1000) + 1000) % 1000).padStart(3, "0");
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}:${get("second")}.${msPart}${off}`;
}

const ZONES = [
  "Asia/Shanghai",
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Australia/Lord_Howe",
  "Asia/Kolkata",
];

describe("createStamper", () => {
  it("formats exactly as the reference (and so does isoWithOffset), across zones, DST changes and odd milliseconds", () => {
    const stampers = new Map(ZONES.map((z) => [z, createStamper(z)]));
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2040, 0, 1) }),
        (zone, ms) => {
          expect(stampers.get(zone)?.(ms)).toBe(reference(ms, zone));
          expect(isoWithOffset(ms, zone)).toBe(reference(ms, zone));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("stays equal for runs of nearby instants (the per-minute cache)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(1970, 0, 2), max: Date.UTC(2040, 0, 1) }),
        fc.array(fc.integer({ min: -90_000, max: 90_000 }), { minLength: 1, maxLength: 20 }),
        (zone, base, deltas) => {
          const stamp = createStamper(zone);
          for (const d of deltas) expect(stamp(base + d)).toBe(reference(base + d, zone));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("stays equal when successive calls share a minute, straddle one, or go back in time", () => {
    const ny = createStamper("America/New_York");
    // 2026-11-01 06:00 UTC: New York falls back from EDT to EST.
    const edge = Date.UTC(2026, 10, 1, 6, 0, 0, 0);
    for (const ms of [
      edge - 61_000,
      edge - 1,
      edge - 59_999,
      edge,
      edge + 1,
      edge - 1,
      edge + 59_999,
      edge - 3_600_000,
    ])
      expect(ny(ms)).toBe(reference(ms, "America/New_York"));
  });

  it("drops fractional milliseconds (scaled and virtual clocks make them)", () => {
    const stamp = createStamper("Asia/Shanghai");
    expect(stamp(Date.UTC(2026, 0, 1, 0, 0, 0, 123) + 0.789)).toBe("2026-01-01T08:00:00.123+08:00");
  });

  it("gets the hour around a DST change right", () => {
    const berlin = createStamper("Europe/Berlin");
    // 2026-03-29 01:00 UTC: clocks go from 02:00 CET to 03:00 CEST.
    expect(berlin(Date.UTC(2026, 2, 29, 0, 59, 59, 999))).toBe("2026-03-29T01:59:59.999+01:00");
    expect(berlin(Date.UTC(2026, 2, 29, 1, 0, 0, 0))).toBe("2026-03-29T03:00:00.000+02:00");
  });
});
