import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import type { DetectionOptions } from "../../src/pipeline/options.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

// Issue 10, point 7: the daily check-in. Sleep window 22:00–07:00 (the rig's), check-in by 10:00; the
// silence limits are long so only the check-in decides.
function rig(detection: Partial<DetectionOptions> = {}) {
  const r = pipelineRig("2026-03-02T06:00:00+08:00", {
    maxSilenceDayMs: 3 * DAY_MS,
    maxSilenceNightMs: 3 * DAY_MS,
    degradedAfterMs: 30 * DAY_MS,
    checkinByMin: 10 * 60,
    prealarmWaitMs: 10 * MINUTE_MS,
    ...detection,
  });
  const press = (event: string) =>
    r.p.button({ device: "btn-1", event: event as "press", mono: r.clock.monotonicMs() });
  const names = () => r.sink.events.map((e) => e.event).filter((e) => e !== "button");
  return { ...r, press, names };
}

describe("daily check-in", () => {
  it("'I am fine' after the sleep window is the day's check-in: one event, no finding at 10:00", () => {
    const { clock, sink, press, names } = rig();
    clock.advanceBy(2 * HOUR_MS); // 08:00
    press("double_press");
    press("double_press"); // once a day
    expect(names()).toEqual(["checkin_done"]);
    expect(sink.events.find((e) => e.event === "checkin_done")).toEqual({
      event: "checkin_done",
      device: "btn-1",
      data: { device: "btn-1", by: "10:00" },
    });
    clock.advanceBy(3 * HOUR_MS); // 11:00
    expect(names()).toEqual(["checkin_done"]);
    expect(sink.states("inactivity")).toEqual([]);
  });

  it("a press before the end of the sleep window is not the check-in", () => {
    const { clock, press, names } = rig();
    clock.advanceBy(30 * MINUTE_MS); // 06:30
    press("double_press");
    expect(names()).toEqual([]);
    clock.advanceBy(3 * HOUR_MS + 30 * MINUTE_MS); // 10:00
    expect(names()).toEqual(["prealarm_started"]);
  });

  it("missed: at 10:00 a pre-alarm (rule checkin_missed), unanswered an inactivity alert", () => {
    const { clock, sink, names } = rig();
    clock.advanceBy(4 * HOUR_MS - MINUTE_MS); // 09:59
    expect(names()).toEqual([]);
    clock.advanceBy(MINUTE_MS); // 10:00
    expect(names()).toEqual(["prealarm_started"]);
    expect(sink.events.find((e) => e.event === "prealarm_started")?.data.rule).toBe("checkin_missed");
    clock.advanceBy(10 * MINUTE_MS);
    expect(names()).toEqual(["prealarm_started", "prealarm_expired"]);
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(sink.alerts[0]?.evidence).toMatchObject({
      rule: "checkin_missed",
      checkin: { by: "10:00" },
      prealarm: { waited_s: 600 },
      silence_s: 4 * 3600,
    });
  });

  it("missed and answered: 'I am fine' during the pre-alarm cancels it", () => {
    const { clock, sink, press, names } = rig();
    clock.advanceBy(4 * HOUR_MS + 2 * MINUTE_MS); // 10:02
    press("double_press");
    expect(names()).toEqual(["prealarm_started", "prealarm_cancelled"]);
    clock.advanceBy(HOUR_MS);
    expect(sink.states("inactivity")).toEqual([]);
  });

  it("missed with the pre-alarm off: the inactivity alert at once", () => {
    const { clock, sink, names } = rig({ prealarmWaitMs: 0 });
    clock.advanceBy(4 * HOUR_MS);
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(sink.alerts[0]?.evidence.rule).toBe("checkin_missed");
    expect(names()).toEqual([]);
  });

  it("not while watch is away, and once a day", () => {
    const away = rig();
    away.p.setWatch("away");
    away.clock.advanceBy(6 * HOUR_MS);
    expect(away.names()).toEqual(["watch_level"]);
    const daily = rig({ prealarmWaitMs: 0 });
    daily.clock.advanceBy(4 * HOUR_MS); // 10:00 day 1: missed
    daily.press("double_press"); // 10:00 "I am fine": clears the alert, too late to be the check-in
    daily.clock.advanceBy(DAY_MS); // 10:00 day 2: missed again, once
    expect(daily.sink.states("inactivity")).toEqual([
      "inactivity:raised",
      "inactivity:cleared",
      "inactivity:raised",
    ]);
  });

  it("a gateway started after the end of the sleep window does not judge that day", () => {
    const r = pipelineRig("2026-03-02T09:30:00+08:00", {
      maxSilenceDayMs: 3 * DAY_MS,
      maxSilenceNightMs: 3 * DAY_MS,
      degradedAfterMs: 30 * DAY_MS,
      checkinByMin: 10 * 60,
    });
    r.clock.advanceBy(HOUR_MS);
    expect(r.sink.states("inactivity")).toEqual([]);
    r.clock.advanceBy(DAY_MS);
    expect(r.sink.states("inactivity")).toEqual(["inactivity:raised"]);
  });
});
