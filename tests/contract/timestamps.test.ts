import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createStamper, isoWithOffset, localParts } from "../../src/contract/timestamps.js";

describe("timestamps", () => {
  it("writes ISO 8601 with the zone's offset", () => {
    const ms = Date.parse("2026-03-01T07:12:00+08:00");
    expect(isoWithOffset(ms, "Asia/Shanghai")).toBe("2026-03-01T07:12:00.000+08:00");
    expect(isoWithOffset(ms, "UTC")).toBe("2026-02-28T23:12:00.000+00:00");
    expect(isoWithOffset(ms + 5, "America/New_York")).toBe("2026-02-28T18:12:00.005-05:00");
    expect(Date.parse(isoWithOffset(ms + 123, "Asia/Kolkata"))).toBe(ms + 123);
  });

  it("gives local date, hour and weekday (Monday = 0)", () => {
    const ms = Date.parse("2026-03-01T23:30:00+08:00"); // a Sunday in Shanghai
    expect(localParts(ms, "Asia/Shanghai")).toEqual({ date: "2026-03-01", hour: 23, minute: 30, weekday: 6 });
    expect(localParts(ms, "UTC")).toEqual({ date: "2026-03-01", hour: 15, minute: 30, weekday: 6 });
  });
});

describe("the stamper's cached offset, across offset changes", () => {
  /** The zone's offset at `ms` straight from Intl, as the reference. */
  function referenceOffsetMin(ms: number, timeZone: string): number {
    const p: Record<string, string> = {};
    const fmt = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    for (const part of fmt.formatToParts(new Date(ms))) p[part.type] = part.value;
    const local = Date.UTC(
      +(p.year ?? 0),
      +(p.month ?? 1) - 1,
      +(p.day ?? 1),
      +(p.hour ?? 0),
      +(p.minute ?? 0),
      +(p.second ?? 0),
    );
    return Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  }
  const offsetText = (min: number) =>
    `${min >= 0 ? "+" : "-"}${String(Math.floor(Math.abs(min) / 60)).padStart(2, "0")}:${String(Math.abs(min) % 60).padStart(2, "0")}`;

  // DST by an hour, by half an hour (Lord Howe), and zones off the hour (Kathmandu, St John's).
  const zones = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
  ];

  it("minute by minute through the days of a change, the offset is the zone's", () => {
    const days = [
      Date.parse("2026-03-29T00:00:00Z"),
      Date.parse("2026-11-01T00:00:00Z"),
      Date.parse("2026-04-04T12:00:00Z"),
    ];
    for (const zone of zones) {
      const stamp = createStamper(zone);
      for (const start of days)
        for (let m = 0; m < 36 * 60; m += 1) {
          const ms = start + m * 60_000 + 17_123;
          expect(stamp(ms).slice(-6), `${zone} ${new Date(ms).toISOString()}`).toBe(
            offsetText(referenceOffsetMin(ms, zone)),
          );
        }
    }
  });

  it("at random instants, in any order", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.array(
          fc.integer({ min: Date.parse("2020-01-01T00:00:00Z"), max: Date.parse("2030-12-31T00:00:00Z") }),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        (zone, instants) => {
          const stamp = createStamper(zone);
          for (const ms of instants)
            expect(stamp(ms).slice(-6)).toBe(offsetText(referenceOffsetMin(ms, zone)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the whole text at random instants, many in one minute and across minutes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones, "UTC", "Asia/Shanghai"),
        fc.array(
          fc.integer({ min: Date.parse("2020-01-01T00:00:00Z"), max: Date.parse("2030-12-31T00:00:00Z") }),
          { minLength: 1, maxLength: 20 },
        ),
        (zone, instants) => {
          const stamp = createStamper(zone);
          for (const ms of instants.flatMap((t) => [t, t + 1, t + 999, t + 59_999])) {
            const off = referenceOffsetMin(ms, zone);
            // The whole text: the local time (UTC shifted by the offset) to the millisecond, then the offset.
            const local = new Date(ms + off * 60_000).toISOString().slice(0, -1);
            expect(stamp(ms)).toBe(`${local}${offsetText(off)}`);
            // Fractional milliseconds (scaled and virtual clocks) are cut, not rounded.
            expect(stamp(ms + 0.75)).toBe(stamp(ms));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
