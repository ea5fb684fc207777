import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import type { DetectionOptions } from "../../src/pipeline/options.js";
import { UsualStillness } from "../../src/pipeline/usual-stillness.js";
import { meterAndPirHome, pipelineRig } from "../helpers/pipeline-rig.js";

/**
 * The home's usual stillness (src/pipeline/usual-stillness*.ts) through the Pipeline on the virtual
 * clock: the rig's sleep window is 22:00–07:00, its day limit 4 h; the pre-alarm waits 10 min.
 */
const WAIT = 10 * MINUTE_MS;

/** A speaker: the prompts are heard. */
const SPEAKER = { audible: true, ask() {}, cancelled() {}, ended() {} };

function rig(detection: Partial<DetectionOptions>) {
  const r = pipelineRig(
    "2026-03-02T00:00:00+08:00",
    {
      degradedAfterMs: 30 * DAY_MS,
      prealarmWaitMs: WAIT,
      // The learned routine would find these silences too: here only the usual stillness is looked at.
      routine: false,
      ...detection,
    },
    { prompt: SPEAKER },
  );
  const { tap, pir, localMin } = meterAndPirHome(r);
  /** For `minutes`: from 08:00 to 21:00 local a PIR trigger every 5 min and a tap every hour. */
  const ordinary = (minutes: number) => {
    for (let i = 0; i < minutes; i++) {
      const m = localMin();
      if (m >= 8 * 60 && m < 21 * 60) {
        if (m % 5 === 0) pir();
        if (m % 60 === 0) tap();
      }
      r.clock.advanceBy(MINUTE_MS);
    }
  };
  /** An ordinary day from midnight, until `until` minutes into it. */
  const ordinaryDay = (until = 24 * 60) => ordinary(until);
  const prealarms = () => r.sink.events.filter((e) => e.event === "prealarm_started");
  return { ...r, tap, pir, ordinary, ordinaryDay, prealarms };
}

describe("usual stillness (with the pre-alarm)", () => {
  it("after two weeks, a daytime silence longer than this home's usual one asks first", () => {
    const r = rig({ prealarmUsualStillness: true });
    for (let d = 0; d < 15; d++) r.ordinaryDay();
    expect(r.prealarms().map((e) => e.data.rule)).toEqual([]);
    r.ordinaryDay(10 * 60); // day 16, up and about until 10:00 (the last PIR trigger at 09:55)
    r.clock.advanceBy(39 * MINUTE_MS);
    expect(r.prealarms()).toEqual([]);
    r.clock.advanceBy(2 * MINUTE_MS);
    const [ev] = r.prealarms();
    // The usual silences are 5 min here: the floor (45 min) is the limit.
    expect(ev?.data).toMatchObject({ rule: "usual_stillness", wait_s: 600, spoken: true });
    expect(Number(ev?.data.silence_s)).toBeGreaterThanOrEqual(45 * 60);
    expect(Number(ev?.data.silence_s)).toBeLessThan(47 * 60);
  });

  it("off (the default), the same silence waits for the day limit", () => {
    const r = rig({});
    for (let d = 0; d < 15; d++) r.ordinaryDay();
    r.ordinaryDay(10 * 60);
    r.clock.advanceBy(3 * HOUR_MS);
    expect(r.prealarms()).toEqual([]);
    r.clock.advanceBy(HOUR_MS + 2 * MINUTE_MS);
    expect(r.prealarms().map((e) => e.data.rule)).toEqual(["max_silence_day"]);
  });

  it("a lone PIR trigger now and then (a person on the floor) does not hide the silence", () => {
    const r = rig({ prealarmUsualStillness: true });
    for (let d = 0; d < 15; d++) r.ordinaryDay();
    r.ordinaryDay(10 * 60);
    // 09:50 and 09:55 were the last triggers; one more at 10:35 is a lone one (three within 30 min
    // would show someone up).
    r.clock.advanceBy(35 * MINUTE_MS);
    r.pir();
    r.clock.advanceBy(12 * MINUTE_MS);
    // 10:47: the silence (52 min) is past its limit (the floor, 45 min), but the PIR saw something
    // 12 min ago: the silence measure waits until nothing at all has been seen for 20 min (10:55).
    expect(r.prealarms()).toEqual([]);
    r.clock.advanceBy(9 * MINUTE_MS);
    const [ev] = r.prealarms();
    expect(ev?.data.rule).toBe("usual_stillness");
    expect(Number(ev?.data.silence_s)).toBeGreaterThanOrEqual(60 * 60);
    expect(Number(ev?.data.silence_s)).toBeLessThanOrEqual(61 * 60);
  });

  it("without that wait (0), the silence measure asks as soon as the silence is past its limit", () => {
    const r = rig({ prealarmUsualStillness: true, usualStillnessSilenceQuietMs: 0 });
    for (let d = 0; d < 15; d++) r.ordinaryDay();
    r.ordinaryDay(10 * 60);
    r.clock.advanceBy(35 * MINUTE_MS);
    r.pir();
    r.clock.advanceBy(12 * MINUTE_MS);
    expect(r.prealarms().map((e) => e.data.rule)).toEqual(["usual_stillness"]);
  });

  it("an answered prompt is learned: the same stillness the next day does not ask again", () => {
    const r = rig({ prealarmUsualStillness: true });
    for (let d = 0; d < 15; d++) r.ordinaryDay();
    r.ordinaryDay(10 * 60);
    r.clock.advanceBy(42 * MINUTE_MS); // asked at 10:40
    expect(r.prealarms()).toHaveLength(1);
    r.p.button({ device: "btn-1", event: "double_press", mono: r.clock.monotonicMs() }); // "I am fine"
    expect(r.sink.events.map((e) => e.event).filter((e) => e.startsWith("prealarm"))).toEqual([
      "prealarm_started",
      "prealarm_cancelled",
    ]);
    // The rest of the day and the next morning as usual, then the same stillness after 09:55.
    r.ordinary(24 * 60 - (10 * 60 + 42) + 10 * 60);
    // 51 min: past the floor (45 min, which asked yesterday), within the learned 47 min × 1.1.
    r.clock.advanceBy(46 * MINUTE_MS);
    expect(r.prealarms().map((e) => [e.data.rule, e.data.silence_s])).toHaveLength(1);
  });
});

describe("usual stillness: nobody up yet in the morning", () => {
  /** Day 16 from midnight with nobody up: the prompts' local times ("HH:MM") until noon. */
  const morning = (detection: Partial<DetectionOptions>) => {
    const r = rig({ prealarmUsualStillness: true, ...detection });
    for (let d = 0; d < 15; d++) r.ordinaryDay(); // up at 08:00 every day
    const asked: string[] = [];
    for (let m = 1; m <= 12 * 60; m++) {
      const n = r.prealarms().length;
      r.clock.advanceBy(MINUTE_MS); // now local minute m
      if (r.prealarms().length > n)
        asked.push(`${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`);
    }
    const alert = r.sink.alerts.find((a) => a.state === "raised");
    return { asked, rule: r.prealarms()[0]?.data.rule, usual: alert?.evidence.usual };
  };

  it("asks 40 min past the latest usual first sign (the default margin)", () => {
    const m = morning({});
    expect(m.asked[0]).toBe("08:40");
    expect(m.rule).toBe("usual_stillness");
    expect(m.usual).toMatchObject({ measure: "morning", usual_up: "08:00" });
  });

  it("takes its margin from the options", () => {
    expect(morning({ usualStillnessMorningMarginMs: 20 * MINUTE_MS }).asked[0]).toBe("08:20");
  });
});

describe("UsualStillness", () => {
  it("learns only committed silences, per hour and its neighbours, and needs its days", () => {
    const u = new UsualStillness({ minDays: 2, days: 28, margin: 0.5, floorMs: 10 * MINUTE_MS });
    u.observe(100, 14, 30 * MINUTE_MS);
    u.commit();
    u.observe(101, 9, 90 * MINUTE_MS);
    u.discard(); // ended in an alert: not usual
    expect(u.ready(101)).toBe(true);
    expect(u.usualMs(101, 13)).toBe(30 * MINUTE_MS);
    expect(u.usualMs(101, 15)).toBe(30 * MINUTE_MS);
    expect(u.usualMs(101, 16)).toBe(0);
    expect(u.usualMs(101, 9)).toBe(0);
    expect(u.limitMs(101, 14)).toBe(45 * MINUTE_MS);
    expect(u.limitMs(101, 9)).toBe(10 * MINUTE_MS);
    // Out of the window after 28 days.
    expect(u.usualMs(100 + 28, 14)).toBe(0);
  });

  it("restores what it saved and ignores a malformed state", () => {
    const u = new UsualStillness();
    u.observe(5, 10, 20 * MINUTE_MS);
    u.commit();
    const v = new UsualStillness();
    v.restore(JSON.parse(JSON.stringify(u.toJSON())));
    expect(v.usualMs(5, 10)).toBe(20 * MINUTE_MS);
    v.restore({ v: 1, days: { x: [1], "7": new Array(24).fill(-1) } });
    expect(v.daysSeen(7)).toBe(0);
  });
});
