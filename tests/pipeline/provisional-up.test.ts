import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import type { DetectionOptions } from "../../src/pipeline/options.js";
import type { PrealarmPrompt } from "../../src/pipeline/ports.js";
import { PROVISIONAL_CONFIRM_MS } from "../../src/pipeline/provisional-up.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

/**
 * Motion alone ending a long silence waits for a confirmation (src/pipeline/provisional-up.ts).
 * Monday 2026-03-02 in Asia/Shanghai; the rig's day limit is 4 h; a tap at 09:00, then a person on the
 * floor whose twitches set the PIR off three times within 30 min at 11:00.
 */
const WAIT = 10 * MINUTE_MS;
const silentPrompt: PrealarmPrompt = { audible: true, ask() {}, cancelled() {}, ended() {} };

function rig(detection: Partial<DetectionOptions> = { prealarmWaitMs: WAIT }) {
  const r = pipelineRig(
    "2026-03-02T09:00:00+08:00",
    { degradedAfterMs: 30 * DAY_MS, ...detection },
    { prompt: silentPrompt },
  );
  r.read("water-1", "water_total_m3", 100);
  r.read("pir-1", "motion", 0);
  let water = 100;
  const tap = () => {
    water += 0.005;
    r.read("water-1", "water_total_m3", water);
  };
  const pir = () => {
    r.read("pir-1", "motion", 1);
    r.read("pir-1", "motion", 0);
  };
  /** Three triggers, 5 min apart: motion that shows someone up (silence-evidence.ts). */
  const threeTriggers = () => {
    for (let i = 0; i < 3; i++) {
      pir();
      r.clock.advanceBy(5 * MINUTE_MS);
    }
  };
  const started = () => r.sink.events.filter((e) => e.event === "prealarm_started").length;
  tap(); // 09:00
  return { ...r, tap, pir, threeTriggers, started };
}

describe("a motion-only up after a long silence is provisional (pre-alarm on)", () => {
  it("unconfirmed, the silence goes on from 09:00: asked at 13:00, not 4 h after the twitches", () => {
    const r = rig();
    r.clock.advanceBy(2 * HOUR_MS); // 11:00
    r.threeTriggers(); // 11:00, 11:05, 11:10; 11:15
    r.clock.advanceBy(PROVISIONAL_CONFIRM_MS); // 12:15: the hour is over, nothing confirmed it
    expect(r.started()).toBe(0);
    r.clock.advanceBy(45 * MINUTE_MS); // 13:00: 4 h since the tap
    expect(r.started()).toBe(1);
    const ev = r.sink.events.find((e) => e.event === "prealarm_started");
    expect(ev?.data).toMatchObject({ rule: "max_silence_day", silence_s: 4 * 3600 });
  });

  it("a tap within the hour confirms it: the silence counts from the tap", () => {
    const r = rig();
    r.clock.advanceBy(2 * HOUR_MS);
    r.threeTriggers();
    r.clock.advanceBy(20 * MINUTE_MS); // 11:35
    r.tap();
    r.clock.advanceBy(3 * HOUR_MS); // 14:35: 4 h since the twitches, 3 h since the tap
    expect(r.started()).toBe(0);
    r.clock.advanceBy(HOUR_MS + MINUTE_MS); // 15:36
    expect(r.started()).toBe(1);
  });

  it("motion showing someone up again, from its own triggers, confirms it", () => {
    const r = rig();
    r.clock.advanceBy(2 * HOUR_MS);
    r.threeTriggers(); // up at 11:10
    r.clock.advanceBy(10 * MINUTE_MS);
    r.threeTriggers(); // 11:25, 11:30, 11:35: up again at a person's rate
    r.clock.advanceBy(2 * HOUR_MS); // 13:50
    expect(r.started()).toBe(0);
  });

  it("two more triggers within the hour (one from the first three) do not confirm it", () => {
    const r = rig();
    r.clock.advanceBy(2 * HOUR_MS);
    r.threeTriggers();
    r.clock.advanceBy(20 * MINUTE_MS);
    r.pir();
    r.clock.advanceBy(10 * MINUTE_MS);
    r.pir();
    r.clock.advanceBy(2 * HOUR_MS); // 13:45
    expect(r.started()).toBe(1);
  });

  it("with the pre-alarm off nothing changes: the alert comes 4 h after the twitches", () => {
    const r = rig({});
    r.clock.advanceBy(2 * HOUR_MS);
    r.threeTriggers(); // the silence restarts at 11:10; 11:15
    r.clock.advanceBy(3 * HOUR_MS + 50 * MINUTE_MS); // 15:05
    expect(r.sink.states("inactivity")).toEqual([]);
    r.clock.advanceBy(10 * MINUTE_MS);
    expect(r.sink.states("inactivity")).toEqual(["inactivity:raised"]);
  });
});
