import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { hourOfWeekOf, LocalClock, weekdayOf } from "../../src/pipeline/local-time.js";
import { RoutineHours } from "../../src/pipeline/routine-hours.js";

const lc = new LocalClock("Asia/Shanghai");
/** Monday 2 March 2026, 00:00 in Shanghai. */
const MONDAY = Date.parse("2026-03-02T00:00:00+08:00");

function rig() {
  const seen: [number, boolean][] = [];
  const hours = new RoutineHours({ observe: (how, active) => seen.push([how, active]) });
  return { seen, hours };
}

describe("local weekdays", () => {
  it("1970-01-01 was a Thursday, the day before a Wednesday; hours of the week count from Monday 00:00", () => {
    expect(weekdayOf(0)).toBe(3);
    expect(weekdayOf(-1)).toBe(2);
    expect(weekdayOf(4)).toBe(0);
    const local = lc.at(MONDAY + 2 * DAY_MS + 13 * HOUR_MS);
    expect(local.weekday).toBe(2);
    expect(hourOfWeekOf(local.day, local.hour)).toBe(local.hourOfWeek);
    expect(local.hourOfWeek).toBe(2 * 24 + 13);
  });
});

describe("routine hours", () => {
  it("the hour it starts in is only partly seen: it teaches nothing; whole hours after it do, with their hour of the week", () => {
    const { seen, hours } = rig();
    hours.start(lc.at(MONDAY + 8 * HOUR_MS + 20 * MINUTE_MS));
    expect(hours.roll(lc.at(MONDAY + 8 * HOUR_MS + 59 * MINUTE_MS), () => false)).toBe(false);
    expect(hours.roll(lc.at(MONDAY + 9 * HOUR_MS), () => false)).toBe(true);
    expect(seen).toEqual([]);
    hours.active();
    expect(hours.roll(lc.at(MONDAY + 10 * HOUR_MS), () => false)).toBe(true);
    expect(hours.roll(lc.at(MONDAY + 11 * HOUR_MS), () => false)).toBe(true);
    // Monday 09:00 (active) and 10:00 (quiet).
    expect(seen).toEqual([
      [9, true],
      [10, false],
    ]);
  });

  it("a spoiled hour teaches nothing, nor does one the ticks skipped past; Sunday's last hour is 167", () => {
    const { seen, hours } = rig();
    const sunday = MONDAY + 6 * DAY_MS;
    hours.start(lc.at(sunday + 21 * HOUR_MS));
    hours.roll(lc.at(sunday + 22 * HOUR_MS), () => true); // spoiled from the start (away, say)
    hours.roll(lc.at(sunday + 23 * HOUR_MS), () => false);
    expect(hours.spoiled).toBe(false);
    hours.spoil();
    expect(hours.spoiled).toBe(true);
    hours.roll(lc.at(sunday + 24 * HOUR_MS), () => false); // Sunday 23:00 was spoiled during the hour
    expect(seen).toEqual([]);
    hours.roll(lc.at(sunday + 25 * HOUR_MS), () => false); // Monday 00:00
    hours.roll(lc.at(sunday + 27 * HOUR_MS), () => false); // 01:00 → 03:00: a gap, 01:00 not seen whole
    hours.roll(lc.at(sunday + 28 * HOUR_MS), () => false);
    expect(seen).toEqual([
      [0, false],
      [3, false],
    ]);
    const { seen: seen2, hours: h2 } = rig();
    h2.start(lc.at(sunday + 22 * HOUR_MS));
    h2.roll(lc.at(sunday + 23 * HOUR_MS), () => false);
    h2.roll(lc.at(sunday + 24 * HOUR_MS), () => false);
    expect(seen2).toEqual([[167, false]]);
  });
});
