import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { OUTING_FLOOR_MS, OUTING_MIN_COUNT, OutingLengths } from "../../src/pipeline/outing-lengths.js";
import { MapStore } from "../../src/replay/engine.js";
import type { RecordingSink } from "../helpers/message-sink.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

/**
 * The day limit of an outing learned from the person's own (src/pipeline/outing-lengths.ts), through
 * the Pipeline on the virtual clock: the rig's sleep window is 22:00–07:00 and `max_day` the
 * default 6 h.
 */
const QUIET_OK = { degradedAfterMs: 48 * HOUR_MS };
type Rig = ReturnType<typeof pipelineRig<RecordingSink>>;

/** A tap run: someone is home (and, after a restart, the start is not taken as a door event). */
function tap(rig: Rig, m3: number) {
  rig.read("water-1", "water_total_m3", m3);
  rig.clock.advanceBy(MINUTE_MS);
  rig.read("water-1", "water_total_m3", m3 + 0.01);
}

/** `n` outings of `outMin`: out through the door, back through it, a tap, 5 min at home. */
function outings(rig: Rig, n: number, outMin = 50) {
  tap(rig, 10);
  rig.read("door-1", "door", 0);
  for (let i = 0; i < n; i++) {
    rig.read("door-1", "door", 1);
    rig.clock.advanceBy(MINUTE_MS);
    rig.read("door-1", "door", 0);
    rig.clock.advanceBy(outMin * MINUTE_MS);
    rig.read("door-1", "door", 1); // back: the opening ends the outing
    rig.clock.advanceBy(MINUTE_MS);
    rig.read("door-1", "door", 0);
    tap(rig, 11 + i);
    rig.clock.advanceBy(4 * MINUTE_MS);
  }
}

/** Out through the door now; the hours until `not_home` is raised (checked minute by minute). */
function hoursToNotHome(rig: Rig): number {
  rig.read("door-1", "door", 1);
  rig.clock.advanceBy(MINUTE_MS);
  rig.read("door-1", "door", 0);
  for (let m = 0; m < 8 * 60; m++) {
    rig.clock.advanceBy(MINUTE_MS);
    if (rig.sink.states("not_home").length > 0) return (m + 1) / 60;
  }
  return Number.POSITIVE_INFINITY;
}

describe("the outing limit learned from the person's outings", () => {
  it("after enough short outings, a long one raises not_home at the floor (3 h), not at max_day", () => {
    const rig = pipelineRig("2026-03-02T07:10:00+08:00", QUIET_OK);
    outings(rig, OUTING_MIN_COUNT); // until 16:40: ten outings of 50 min
    // 50 min × 1.25 is under the floor: 3 h after the door closed behind the person.
    expect(hoursToNotHome(rig)).toBeCloseTo(3, 1);
    expect(rig.sink.alerts.find((a) => a.kind === "not_home")?.evidence).toMatchObject({
      rule: "outing_day",
      out_s: 3 * 3600,
    });
  });

  it("with too few outings known, max_day (6 h) as before", () => {
    const rig = pipelineRig("2026-03-02T07:10:00+08:00", QUIET_OK);
    outings(rig, OUTING_MIN_COUNT - 1);
    expect(hoursToNotHome(rig)).toBeCloseTo(6, 1);
  });

  it("the outings learned are kept across a restart", () => {
    const store = new MapStore();
    const first = pipelineRig("2026-03-02T07:10:00+08:00", QUIET_OK, { store });
    outings(first, OUTING_MIN_COUNT);
    first.p.stop();
    const rig = pipelineRig("2026-03-03T09:00:00+08:00", QUIET_OK, { store });
    tap(rig, 30);
    rig.read("door-1", "door", 0);
    expect(hoursToNotHome(rig)).toBeCloseTo(3, 1);
    // And a restart with an empty store knows none: max_day.
    const fresh = pipelineRig("2026-03-03T09:00:00+08:00", QUIET_OK, { store: new MapStore() });
    tap(fresh, 30);
    fresh.read("door-1", "door", 0);
    expect(hoursToNotHome(fresh)).toBeCloseTo(6, 1);
  });
});

describe("OutingLengths", () => {
  const t0 = Date.parse("2026-03-02T12:00:00+08:00");
  const max = 6 * HOUR_MS;

  it("the longest of the last four weeks by a quarter, between the floor and max_day", () => {
    const l = new OutingLengths();
    for (let i = 0; i < OUTING_MIN_COUNT - 1; i++) l.add(t0 + i * DAY_MS, HOUR_MS);
    l.add(t0 + 9 * DAY_MS, 3 * HOUR_MS);
    expect(l.limitMs(t0 + 9 * DAY_MS, max)).toBe(3.75 * HOUR_MS);
    l.add(t0 + 10 * DAY_MS, 5 * HOUR_MS);
    expect(l.limitMs(t0 + 10 * DAY_MS, max)).toBe(max);
    const short = new OutingLengths();
    for (let i = 0; i < OUTING_MIN_COUNT; i++) short.add(t0 + i * HOUR_MS, 20 * MINUTE_MS);
    expect(short.limitMs(t0 + DAY_MS, max)).toBe(OUTING_FLOOR_MS);
  });

  it("outings older than four weeks are forgotten: the limit goes back to max_day", () => {
    const l = new OutingLengths();
    for (let i = 0; i < OUTING_MIN_COUNT; i++) l.add(t0 + i * HOUR_MS, HOUR_MS);
    expect(l.limitMs(t0 + 27 * DAY_MS, max)).toBe(OUTING_FLOOR_MS);
    expect(l.limitMs(t0 + 29 * DAY_MS, max)).toBe(max);
    expect(l.count(t0 + 29 * DAY_MS)).toBe(0);
  });

  it("a snapshot restores the same limit; a bad one throws (the store logs it and learns again)", () => {
    const l = new OutingLengths();
    for (let i = 0; i < OUTING_MIN_COUNT; i++) l.add(t0 + i * HOUR_MS, (200 + i) * MINUTE_MS);
    const r = new OutingLengths();
    r.restore(JSON.parse(JSON.stringify(l.toJSON())));
    expect(r.limitMs(t0 + DAY_MS, max)).toBe(l.limitMs(t0 + DAY_MS, max));
    expect(r.limitMs(t0 + DAY_MS, max)).toBe(209 * 1.25 * MINUTE_MS);
    expect(() => r.restore({} as never)).toThrow();
  });
});

describe("outings not learned", () => {
  it("an outing with the watch away (an announced trip) does not lengthen the limit", () => {
    const rig = pipelineRig("2026-03-02T07:10:00+08:00", QUIET_OK);
    tap(rig, 5);
    rig.read("door-1", "door", 0);
    rig.p.setWatch("away");
    rig.read("door-1", "door", 1);
    rig.clock.advanceBy(MINUTE_MS);
    rig.read("door-1", "door", 0);
    rig.clock.advanceBy(4 * HOUR_MS); // away 4 h: learned, it would make the limit 5 h
    rig.read("door-1", "door", 1);
    rig.clock.advanceBy(MINUTE_MS);
    rig.read("door-1", "door", 0);
    rig.p.setWatch("normal");
    outings(rig, OUTING_MIN_COUNT, 30); // 11:15–17:25
    expect(hoursToNotHome(rig)).toBeCloseTo(3, 1);
  });
});
