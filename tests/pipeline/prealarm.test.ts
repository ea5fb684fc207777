import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import type { DetectionOptions, PipelineOptions } from "../../src/pipeline/options.js";
import type { PrealarmPrompt } from "../../src/pipeline/ports.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

// Issue 10, point 5: the pre-alarm asks the person before an inactivity alert. Monday 2026-03-02 in
// Asia/Shanghai; the rig's day limit is 4 h, so a home silent from 09:00 is found at 13:00.
const WAIT = 10 * MINUTE_MS;

/** A prompt port that records what it was told. */
class RecordingPrompt implements PrealarmPrompt {
  readonly calls: string[] = [];
  constructor(readonly audible = true) {}
  ask(id: string): void {
    this.calls.push(`ask:${id}`);
  }
  cancelled(id: string): void {
    this.calls.push(`cancelled:${id}`);
  }
  ended(id: string): void {
    this.calls.push(`ended:${id}`);
  }
  kinds(): string[] {
    return this.calls.map((c) => c.split(":")[0] as string);
  }
}

function rig(
  start: string,
  detection: Partial<DetectionOptions> = { prealarmWaitMs: WAIT },
  extra: Partial<Pick<PipelineOptions, "prompt">> = {},
) {
  const prompt = new RecordingPrompt();
  // Battery sensors report when something happens: none of them is missed here.
  const r = pipelineRig(start, { degradedAfterMs: 30 * DAY_MS, ...detection }, { prompt, ...extra });
  // Baselines: the first reading of a sensor is not activity.
  r.read("water-1", "water_total_m3", 100);
  r.read("pir-1", "motion", 0);
  r.read("pir-2", "motion", 0);
  let water = 100;
  const tap = () => {
    water += 0.005;
    r.read("water-1", "water_total_m3", water);
  };
  const pir = (device = "pir-1") => {
    r.read(device, "motion", 1);
    r.read(device, "motion", 0);
  };
  const press = (event: string, device = "btn-1") =>
    r.p.button({ device, event: event as "press", mono: r.clock.monotonicMs() });
  const names = () =>
    r.sink.events.map((e) => e.event).filter((e) => e.startsWith("prealarm") || e === "checkin_done");
  const event = (name: string) => r.sink.events.find((e) => e.event === name);
  return { ...r, prompt, tap, pir, press, names, event };
}

describe("pre-alarm: started, cancelled", () => {
  it("a finding starts a pre-alarm instead of the alert: event and prompt", () => {
    const { clock, sink, prompt, names, event } = rig("2026-03-02T09:00:00+08:00");
    clock.advanceBy(4 * HOUR_MS);
    expect(sink.states("inactivity")).toEqual([]);
    expect(names()).toEqual(["prealarm_started"]);
    const data = event("prealarm_started")?.data;
    expect(data).toMatchObject({ rule: "max_silence_day", wait_s: 600, spoken: true, silence_s: 4 * 3600 });
    expect(typeof data?.prealarm).toBe("string");
    expect(prompt.calls).toEqual([`ask:${data?.prealarm}`]);
  });

  it("'I am fine' cancels it: no alert, the prompt says so, and the silence starts again", () => {
    const { clock, sink, prompt, press, names, event } = rig("2026-03-02T09:00:00+08:00");
    clock.advanceBy(4 * HOUR_MS + 5 * MINUTE_MS);
    press("double_press");
    expect(names()).toEqual(["prealarm_started", "prealarm_cancelled"]);
    const id = event("prealarm_started")?.data.prealarm;
    expect(event("prealarm_cancelled")?.data).toEqual({
      prealarm: id,
      by: "i_am_fine",
      device: "btn-1",
      detail: "button double_press",
    });
    expect(prompt.kinds()).toEqual(["ask", "cancelled"]);
    clock.advanceBy(4 * HOUR_MS - 2 * MINUTE_MS); // 17:03: under 4 h since the answer
    expect(sink.states("inactivity")).toEqual([]);
    expect(names()).toEqual(["prealarm_started", "prealarm_cancelled"]);
    clock.advanceBy(3 * MINUTE_MS); // 17:06: a new silence of 4 h, a new pre-alarm
    expect(names()).toEqual(["prealarm_started", "prealarm_cancelled", "prealarm_started"]);
  });

  it("a tap running cancels it (activity, strong, naming the device)", () => {
    const { clock, sink, tap, names, event } = rig("2026-03-02T09:00:00+08:00");
    clock.advanceBy(4 * HOUR_MS + 3 * MINUTE_MS);
    tap();
    expect(names()).toEqual(["prealarm_started", "prealarm_cancelled"]);
    expect(event("prealarm_cancelled")?.data).toMatchObject({ by: "activity", device: "water-1" });
    expect(String(event("prealarm_cancelled")?.data.detail)).toMatch(/strong: 1 event on water-1/);
    clock.advanceBy(30 * MINUTE_MS);
    expect(sink.states("inactivity")).toEqual([]);
  });

  it("motion on two sensors cancels it; so do three triggers of one", () => {
    const two = rig("2026-03-02T09:00:00+08:00");
    two.clock.advanceBy(4 * HOUR_MS + MINUTE_MS);
    two.pir("pir-1");
    expect(two.names()).toEqual(["prealarm_started"]);
    two.clock.advanceBy(MINUTE_MS);
    two.pir("pir-2");
    expect(two.names()).toEqual(["prealarm_started", "prealarm_cancelled"]);
    expect(String(two.event("prealarm_cancelled")?.data.detail)).toBe("motion: 2 events on pir-1, pir-2");
    const three = rig("2026-03-02T09:00:00+08:00");
    three.clock.advanceBy(4 * HOUR_MS + MINUTE_MS);
    for (let i = 0; i < 3; i++) {
      expect(three.names()).toEqual(["prealarm_started"]);
      three.pir();
      three.clock.advanceBy(2 * MINUTE_MS);
    }
    expect(three.names()).toEqual(["prealarm_started", "prealarm_cancelled"]);
  });
});

describe("pre-alarm: unanswered", () => {
  it("a single PIR trigger does not cancel it; unanswered, the alert carries the pre-alarm", () => {
    const { clock, sink, prompt, pir, names, event } = rig("2026-03-02T09:00:00+08:00");
    clock.advanceBy(4 * HOUR_MS + 3 * MINUTE_MS);
    pir(); // 13:03: the twitch of a person on the floor
    clock.advanceBy(6 * MINUTE_MS); // 13:09
    expect(names()).toEqual(["prealarm_started"]);
    expect(sink.states("inactivity")).toEqual([]);
    clock.advanceBy(MINUTE_MS); // 13:10: the wait is over
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(names()).toEqual(["prealarm_started", "prealarm_expired"]);
    const alert = sink.alerts[0];
    expect(event("prealarm_expired")?.data).toEqual({
      prealarm: event("prealarm_started")?.data.prealarm,
      alert: alert?.alert,
    });
    expect(alert?.evidence).toMatchObject({
      rule: "max_silence_day",
      silence_s: 4 * 3600,
      prealarm: {
        started: "2026-03-02T13:00:00.000+08:00",
        waited_s: 600,
        spoken: true,
        activity_seen: [
          { at: "2026-03-02T13:03:00.000+08:00", source: "motion", class: "motion", device: "pir-1" },
        ],
      },
    });
    expect(prompt.kinds()).toEqual(["ask", "ended"]);
  });

  it("with nobody to hear it (no prompt port), spoken is false and it still waits", () => {
    const { clock, sink, event } = rig(
      "2026-03-02T09:00:00+08:00",
      { prealarmWaitMs: WAIT },
      { prompt: undefined },
    );
    clock.advanceBy(4 * HOUR_MS);
    expect(event("prealarm_started")?.data.spoken).toBe(false);
    clock.advanceBy(WAIT);
    expect(sink.alerts[0]?.evidence.prealarm).toMatchObject({ spoken: false, activity_seen: [] });
  });

  it("wait 0 is the alert at once, exactly as without the option", () => {
    const run = (d: Partial<DetectionOptions>) => {
      const r = rig("2026-03-02T09:00:00+08:00", d);
      r.clock.advanceBy(2 * HOUR_MS);
      r.pir();
      r.clock.advanceBy(5 * HOUR_MS);
      r.press("double_press");
      r.clock.advanceBy(5 * HOUR_MS);
      return { alerts: r.sink.alerts, events: r.sink.events, prompt: r.prompt.calls };
    };
    const off = run({ prealarmWaitMs: 0 });
    expect(off).toEqual(run({}));
    expect(off.alerts.map((a) => `${a.kind}:${a.state}`)).toEqual([
      "inactivity:raised",
      "inactivity:escalated",
      "inactivity:cleared",
      "inactivity:raised",
      "inactivity:escalated",
    ]);
    expect(off.alerts[0]?.evidence.prealarm).toBeUndefined();
    expect(off.prompt).toEqual([]);
    expect(off.events.map((e) => e.event)).not.toContain("prealarm_started");
  });
});

describe("pre-alarm: a single press stays a call", () => {
  it("a press while it waits raises the call at once; the pre-alarm ends into the call, never as fine", () => {
    const { clock, sink, prompt, press, names, event } = rig("2026-03-02T09:00:00+08:00");
    clock.advanceBy(4 * HOUR_MS + 4 * MINUTE_MS);
    press("press");
    expect(sink.states("call")).toEqual(["call:raised"]);
    const call = sink.alerts.find((a) => a.kind === "call");
    expect(call?.evidence).toMatchObject({
      event: "press",
      prealarm: { started: "2026-03-02T13:00:00.000+08:00", waited_s: 240, spoken: true },
    });
    expect(names()).toEqual(["prealarm_started", "prealarm_expired"]);
    expect(event("prealarm_expired")?.data).toEqual({
      prealarm: event("prealarm_started")?.data.prealarm,
      alert: call?.alert,
      by: "call",
    });
    expect(prompt.kinds()).toEqual(["ask", "ended"]);
    // No second alert, and nothing local closes the call: not "I am fine", not activity.
    press("double_press");
    clock.advanceBy(30 * MINUTE_MS);
    expect(sink.states("inactivity")).toEqual([]);
    expect(sink.states("call")).toEqual(["call:raised"]);
    expect(names()).not.toContain("prealarm_cancelled");
  });

  it("a press with no pre-alarm waiting is a call as always, without pre-alarm evidence", () => {
    const { clock, sink, press, names } = rig("2026-03-02T09:00:00+08:00");
    clock.advanceBy(HOUR_MS);
    press("press");
    expect(sink.states("call")).toEqual(["call:raised"]);
    expect(sink.alerts[0]?.evidence).toEqual({ event: "press" });
    expect(names()).toEqual([]);
  });
});

describe("pre-alarm: sleep window and watch", () => {
  const night = { prealarmWaitMs: WAIT, maxSilenceNightMs: 3 * HOUR_MS };

  it("inside the sleep window without lights on: the alert at once, no prompt", () => {
    const { clock, sink, prompt, names } = rig("2026-03-02T20:00:00+08:00", night);
    clock.advanceBy(3 * HOUR_MS); // 23:00
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(sink.alerts[0]?.evidence.prealarm).toBeUndefined();
    expect(names()).toEqual([]);
    expect(prompt.calls).toEqual([]);
  });

  it("inside the sleep window, always: a prompt; never: no prompt even with lights on", () => {
    const always = rig("2026-03-02T20:00:00+08:00", { ...night, prealarmInSleep: "always" });
    always.clock.advanceBy(3 * HOUR_MS);
    expect(always.names()).toEqual(["prealarm_started"]);
    expect(always.sink.states("inactivity")).toEqual([]);
    const lit = litHome({
      ...night,
      maxSilenceNightMs: 12 * HOUR_MS,
      prealarmInSleep: "never",
      lightsOnAfterMin: 120,
    });
    expect(lit.sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(lit.sink.alerts[0]?.evidence.rule).toBe("lights_left_on");
    expect(lit.names()).toEqual([]);
  });

  it("inside the sleep window with the lights on: a prompt (lights_on, the default)", () => {
    const lit = litHome({ ...night, maxSilenceNightMs: 12 * HOUR_MS, lightsOnAfterMin: 120 });
    expect(lit.sink.states("inactivity")).toEqual([]);
    expect(lit.names()).toEqual(["prealarm_started"]);
    expect(lit.event("prealarm_started")?.data.rule).toBe("lights_left_on");
    lit.clock.advanceBy(WAIT);
    expect(lit.sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(lit.sink.alerts[0]?.evidence).toMatchObject({
      rule: "lights_left_on",
      prealarm: { waited_s: 600 },
    });
  });

  it("inside the sleep window with the usual night learned and the lights off: the alert at once", () => {
    // A morning deadline at 06:30, inside the sleep window: every morning, the last tap at 22:30.
    const dark = litHome(
      { ...night, maxSilenceNightMs: 12 * HOUR_MS, morningDeadlineMin: 6 * 60 + 30, morningMinSilenceMs: 0 },
      false,
      4 * 24 * 60 + 30, // to 06:30 on the fifth morning, three nights learned
    );
    const raised = dark.sink.alerts.filter((a) => a.state === "raised");
    expect(raised.at(-1)).toMatchObject({
      since: "2026-03-06T06:30:00.000+08:00",
      evidence: { rule: "morning_deadline" },
    });
    expect(raised.every((a) => a.evidence.prealarm === undefined)).toBe(true);
    expect(dark.names()).toEqual([]);
  });

  it("the morning deadline asks the wait before it, so the unanswered alert comes at the deadline", () => {
    // Sleep window 22:00–07:00 (the rig's), deadline 10:00: nothing since the evening before.
    const { clock, sink, names, event, tap } = rig("2026-03-02T20:00:00+08:00", {
      prealarmWaitMs: WAIT,
      morningDeadlineMin: 10 * 60,
      morningMinSilenceMs: 0,
      maxSilenceNightMs: 24 * HOUR_MS,
      maxSilenceDayMs: 12 * HOUR_MS,
    });
    tap();
    clock.advanceBy(13 * HOUR_MS + 49 * MINUTE_MS); // 09:49
    expect(names()).toEqual([]);
    clock.advanceBy(MINUTE_MS); // 09:50
    expect(names()).toEqual(["prealarm_started"]);
    expect(event("prealarm_started")?.data).toMatchObject({ rule: "morning_deadline" });
    clock.advanceBy(WAIT);
    const raised = sink.alerts.filter((a) => a.kind === "inactivity" && a.state === "raised");
    expect(raised.map((a) => a.since)).toEqual(["2026-03-03T10:00:00.000+08:00"]);
  });

  it("watch set to away drops a waiting pre-alarm: an event, no alert", () => {
    const { clock, sink, prompt, p, names, event } = rig("2026-03-02T09:00:00+08:00");
    clock.advanceBy(4 * HOUR_MS + 2 * MINUTE_MS);
    p.setWatch("away");
    expect(names()).toEqual(["prealarm_started", "prealarm_dropped"]);
    expect(event("prealarm_dropped")?.data).toMatchObject({ reason: "watch_away" });
    expect(prompt.kinds()).toEqual(["ask", "ended"]);
    clock.advanceBy(HOUR_MS);
    expect(sink.states("inactivity")).toEqual([]);
  });
});

/**
 * A home with four ordinary nights (50 W in the small hours, water through the day), then on the fifth
 * night lights left on (150 W) from the last tap at 22:30: at 00:30 the lights-left-on verdict finds
 * it, inside the sleep window. Returns at 00:30 on the fifth night.
 */
function litHome(detection: Partial<DetectionOptions>, lights = true, minutes = 4 * 24 * 60 + 18 * 60 + 30) {
  const r = rig("2026-03-02T06:00:00+08:00", detection);
  const taps = new Set([8 * 60, 11 * 60, 14 * 60, 17 * 60, 20 * 60, 22 * 60 + 30]);
  const tenMin = 10 * MINUTE_MS;
  // 4 days and 18.5 h, ten minutes at a time: 06:00 on day 1 to 00:30 on day 5.
  const steps = minutes / 10;
  for (let i = 1; i <= steps; i++) {
    r.clock.advanceBy(tenMin);
    const min = (6 * 60 + i * 10) % 1440;
    const day = Math.floor((6 * 60 + i * 10) / 1440);
    const lightsOn = lights && ((day === 4 && min >= 22 * 60 + 30) || day === 5);
    r.read("meter-1", "power_w", lightsOn ? 150 : 50);
    if (taps.has(min)) r.tap();
  }
  return r;
}

describe("pre-alarm: a fall", () => {
  it("a fall sensor's fall while it waits: the fall alert at once, and the pre-alarm ends into it", () => {
    const { clock, sink, read, names, event } = rig("2026-03-02T09:00:00+08:00");
    read("radar-1", "fall", 0);
    clock.advanceBy(4 * HOUR_MS + 2 * MINUTE_MS);
    read("radar-1", "fall", 1);
    expect(sink.states("fall")).toEqual(["fall:raised"]);
    expect(names()).toEqual(["prealarm_started", "prealarm_expired"]);
    expect(event("prealarm_expired")?.data).toMatchObject({
      alert: sink.alerts.find((a) => a.kind === "fall")?.alert,
      by: "fall",
    });
    clock.advanceBy(30 * MINUTE_MS);
    expect(sink.states("inactivity")).toEqual([]);
  });
});
