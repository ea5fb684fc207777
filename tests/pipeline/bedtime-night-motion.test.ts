import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { NightMotion } from "../../src/pipeline/night-motion.js";
import { UsualBedtime } from "../../src/pipeline/usual-bedtime.js";
import { meterAndPirHome, pipelineRig } from "../helpers/pipeline-rig.js";

/**
 * The usual bedtime (src/pipeline/usual-bedtime.ts: the usual stillness counts on past the start of
 * the sleep window until this person's latest bedtime) and lone movement in the night
 * (src/pipeline/night-motion.ts), through the Pipeline on the virtual clock. The rig's sleep window is
 * 22:00–07:00; the pre-alarm waits 10 min; the usual stillness is on (a motion sensor).
 */
const WAIT = 10 * MINUTE_MS;
const SPEAKER = { audible: true, ask() {}, cancelled() {}, ended() {} };

function rig(o: { bedMin: number; nightVisit?: "tap" | "lone"; usual?: boolean }) {
  const r = pipelineRig(
    "2026-03-02T00:00:00+08:00",
    {
      degradedAfterMs: 30 * DAY_MS,
      prealarmWaitMs: WAIT,
      prealarmUsualStillness: o.usual ?? true,
      // Only the usual stillness and the night's movement are looked at here.
      routine: false,
      maxSilenceDayMs: 12 * HOUR_MS,
    },
    { prompt: SPEAKER },
  );
  const { tap, pir, localMin } = meterAndPirHome(r);
  /** Up 08:00 to `bedMin` (a PIR trigger every 5 min, a tap every hour); a night visit at 03:00. */
  const ordinary = (minutes: number) => {
    for (let i = 0; i < minutes; i++) {
      const m = localMin();
      if (m >= 8 * 60 && m < o.bedMin) {
        if (m % 5 === 0) pir();
        if (m % 60 === 0) tap();
      }
      if (m === 3 * 60 && o.nightVisit) {
        pir();
        if (o.nightVisit === "tap") tap();
      }
      r.clock.advanceBy(MINUTE_MS);
    }
  };
  const prealarms = () => r.sink.events.filter((e) => e.event === "prealarm_started");
  return { ...r, tap, pir, ordinary, prealarms };
}

describe("usual bedtime: the evening before it is still the day", () => {
  it("a silence from before the earliest bedtime, inside the sleep window, is asked about (spoken)", () => {
    const r = rig({ bedMin: 23 * 60 }); // in bed at 23:00, the window starts at 22:00
    for (let d = 0; d < 16; d++) r.ordinary(24 * 60);
    r.ordinary(21 * 60 + 40); // day 17: the last trigger at 21:35
    r.clock.advanceBy(45 * MINUTE_MS); // 22:25: past the floor (45 min), inside the window
    const [ev] = r.prealarms();
    expect(ev?.data).toMatchObject({ rule: "usual_stillness", spoken: true });
    r.clock.advanceBy(WAIT + MINUTE_MS);
    expect(r.sink.alerts[0]?.evidence).toMatchObject({
      rule: "usual_stillness",
      usual: { before_bedtime: "22:55" },
    });
  });

  it("a silence that begins near the usual bedtime is taken as going to bed: no prompt", () => {
    const r = rig({ bedMin: 23 * 60 });
    for (let d = 0; d < 16; d++) r.ordinary(24 * 60);
    r.ordinary(22 * 60 + 40); // the last trigger at 22:35: after 22:55 less the 30-minute margin
    r.clock.advanceBy(3 * HOUR_MS);
    expect(r.prealarms()).toEqual([]);
  });

  it("with a bedtime before the window, the window's start stays the day's end", () => {
    const r = rig({ bedMin: 21 * 60 });
    for (let d = 0; d < 16; d++) r.ordinary(24 * 60);
    r.ordinary(21 * 60 + 40); // the same silence from 20:55, as every evening
    r.clock.advanceBy(3 * HOUR_MS);
    expect(r.prealarms()).toEqual([]);
  });
});

describe("night motion: a lone trigger in the night that nothing follows", () => {
  it("where night visits run water, a lone trigger is asked about, spoken in the dark", () => {
    const r = rig({ bedMin: 21 * 60, nightVisit: "tap" });
    for (let d = 0; d < 16; d++) r.ordinary(24 * 60);
    expect(r.prealarms()).toEqual([]);
    r.ordinary(2 * 60); // 02:00 on day 17
    r.pir(); // a person on the floor moves; no water follows
    r.clock.advanceBy(WAIT + MINUTE_MS);
    const [ev] = r.prealarms();
    expect(ev?.data).toMatchObject({ rule: "night_motion", spoken: true });
    r.clock.advanceBy(WAIT);
    expect(r.sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(r.sink.alerts[0]?.evidence).toMatchObject({ rule: "night_motion" });
  });

  it("a trigger followed by water (a toilet visit) is nobody on the floor", () => {
    const r = rig({ bedMin: 21 * 60, nightVisit: "tap" });
    for (let d = 0; d < 16; d++) r.ordinary(24 * 60);
    r.ordinary(2 * 60);
    r.pir();
    r.clock.advanceBy(4 * MINUTE_MS);
    r.tap();
    r.clock.advanceBy(HOUR_MS);
    expect(r.prealarms()).toEqual([]);
  });

  it("where lone night triggers are usual (a coarse water meter), it is not asked", () => {
    const r = rig({ bedMin: 21 * 60, nightVisit: "lone" });
    for (let d = 0; d < 16; d++) r.ordinary(24 * 60);
    r.ordinary(2 * 60);
    r.pir();
    r.clock.advanceBy(HOUR_MS);
    expect(r.prealarms()).toEqual([]);
  });

  it("where one lone trigger a night is usual, a night with more than that is asked", () => {
    const r = rig({ bedMin: 21 * 60, nightVisit: "lone" });
    for (let d = 0; d < 16; d++) r.ordinary(24 * 60);
    r.ordinary(60); // 01:00 on day 17: a person on the floor since the evening still moves
    r.pir(); // one lone trigger tonight: as on every night here
    r.clock.advanceBy(40 * MINUTE_MS);
    expect(r.prealarms()).toEqual([]);
    r.pir(); // the second: more than on any night of the last 28
    r.clock.advanceBy(WAIT + MINUTE_MS);
    const [ev] = r.prealarms();
    expect(ev?.data).toMatchObject({ rule: "night_motion", spoken: true });
    r.clock.advanceBy(WAIT);
    expect(r.sink.states("inactivity")).toEqual(["inactivity:raised"]);
  });

  it("off without the usual stillness (no motion sensor configured, or no pre-alarm)", () => {
    const r = rig({ bedMin: 21 * 60, nightVisit: "tap", usual: false });
    for (let d = 0; d < 16; d++) r.ordinary(24 * 60);
    r.ordinary(2 * 60);
    r.pir();
    r.clock.advanceBy(HOUR_MS);
    expect(r.prealarms()).toEqual([]);
    expect(r.sink.alerts).toEqual([]);
  });
});

describe("UsualBedtime and NightMotion, alone", () => {
  it("the day's end moves to the latest bedtime once learned, and restores what it saved", () => {
    const b = new UsualBedtime({ sleepStartMin: 22 * 60, days: 28, minDays: 3 });
    b.record(1, 22 * 60 + 10);
    b.record(2, 23 * 60 + 5);
    expect(b.extensionMin(2)).toBe(0); // two nights: not learned yet
    b.record(3, 21 * 60 + 50);
    // The same day asked again after a new night: the answer kept for day 2 is not reused.
    expect(b.extensionMin(2)).toBe(65);
    b.record(4, 3 * 60); // after a night visit: not an evening, ignored
    expect(b.extensionMin(4)).toBe(65);
    expect(b.earliestMin(4)).toBe(21 * 60 + 50);
    expect(b.bedtimeMin(4)).toBe(23 * 60 + 5);
    const c = new UsualBedtime({ sleepStartMin: 22 * 60, days: 28, minDays: 3 });
    c.restore(JSON.parse(JSON.stringify(b.toJSON())));
    expect(c.extensionMin(4)).toBe(65);
    c.restore({ 5: "x", 6: -1 });
    expect(c.extensionMin(6)).toBe(0);
    expect(c.extensionMin(4)).toBe(0);
    expect(c.earliestMin(4)).toBeUndefined();
  });

  it("NightMotion learns an unaccompanied trigger the person answered as usual", () => {
    const m = new NightMotion();
    const a = (mono: number, source = "motion") => ({
      device: "pir-1",
      source,
      strength: 0.8,
      mono,
      detail: "",
    });
    m.due(0, 0); // first observed on day 0
    const day = 20;
    const t = day * DAY_MS;
    m.activity(a(t) as never, false, true, 2 * HOUR_MS);
    expect(m.due(t + 5 * MINUTE_MS, day)).toBeUndefined();
    expect(m.due(t + 10 * MINUTE_MS, day)).toBeDefined();
    m.answered(true); // "I am fine": such movement is usual here now
    const t2 = t + DAY_MS;
    m.activity(a(t2) as never, false, true, 2 * HOUR_MS);
    expect(m.due(t2 + 10 * MINUTE_MS, day + 1)).toBeUndefined();
    // Restored: what it learned (usual here) and when it began (armed) both survive a restart.
    const t3 = t2 + DAY_MS;
    const learned = new NightMotion();
    learned.restore(JSON.parse(JSON.stringify(m.toJSON())));
    learned.activity(a(t3) as never, false, true, 2 * HOUR_MS);
    expect(learned.due(t3 + 10 * MINUTE_MS, day + 2)).toBeUndefined();
    const armed = new NightMotion();
    armed.restore({ v: 1, first: 0, usual: [] });
    armed.activity(a(t3) as never, false, true, 2 * HOUR_MS);
    expect(armed.due(t3 + 10 * MINUTE_MS, day + 2)).toBeDefined();
  });

  it("NightMotion counts lone triggers a night and asks past the usual most (and the slack)", () => {
    const a = (mono: number) => ({ device: "pir-1", source: "motion", strength: 0.8, mono, detail: "" });
    const m = new NightMotion({ slack: 1 });
    m.due(0, 0);
    /** `n` lone triggers in night `night`, an hour apart from 23:00; the findings it makes. */
    const night = (k: number, n: number) => {
      const found: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = k * DAY_MS + (23 + i) * HOUR_MS;
        m.activity(a(t) as never, false, true, 2 * HOUR_MS);
        if (m.due(t + 10 * MINUTE_MS, k)) found.push(i + 1);
      }
      return found;
    };
    for (let k = 1; k <= 15; k++) expect(night(k, k % 3 === 0 ? 2 : 1)).toEqual([]); // learning
    expect(m.usualMost(16)).toBe(2);
    expect(night(16, 3)).toEqual([]); // one beyond the usual two: the slack
    expect(night(17, 6)).toEqual([5]); // past the three of night 16 and the slack; once a night
    m.clear(); // unanswered (an alert): that night is not learned beyond the usual
    expect(m.usualMost(18)).toBe(3);
    // Restored from the first version's state (nights with one usual trigger each).
    const old = new NightMotion({ slack: 1 });
    old.restore({ v: 1, first: 0, usual: [10, 12] });
    expect(old.usualMost(20)).toBe(1);
    const fresh = new NightMotion();
    fresh.restore(JSON.parse(JSON.stringify(m.toJSON())));
    expect(fresh.usualMost(18)).toBe(3);
  });
});
