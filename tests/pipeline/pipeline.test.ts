import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

/** The shared rig, with a 60 W cold step and telemetry on, as these tests were written for. */
const setup = (startLocal = "2026-03-02T08:00:00+08:00") =>
  pipelineRig(startLocal, { powerStepW: 60 }, { telemetry: true });

describe("pipeline: first silence rule", () => {
  it("raises inactivity after the day threshold, with evidence, and clears it on activity", () => {
    const { clock, sink, p } = setup();
    p.readings([{ device: "water-1", channel: "water_total_m3", value: 10, mono: clock.monotonicMs() }]);
    clock.advanceBy(10 * MINUTE_MS);
    p.readings([{ device: "water-1", channel: "water_total_m3", value: 10.004, mono: clock.monotonicMs() }]);
    // Issue 5: a meter that stops answering is not silence, so the meter keeps answering (every 10 min).
    const poll = (ms: number) => {
      for (let t = 0; t < ms; t += 10 * MINUTE_MS) {
        clock.advanceBy(Math.min(10 * MINUTE_MS, ms - t));
        p.readings([
          { device: "water-1", channel: "water_total_m3", value: 10.004, mono: clock.monotonicMs() },
        ]);
      }
    };
    poll(4 * HOUR_MS - 2 * MINUTE_MS);
    expect(sink.states("inactivity")).toEqual([]);
    poll(3 * MINUTE_MS);
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    const raised = sink.alerts[0];
    expect(raised?.evidence.silence_s).toBeGreaterThanOrEqual(4 * 3600);
    expect(raised?.evidence.threshold_s).toBe(4 * 3600);
    expect(raised?.evidence.last_activity).toMatchObject({ source: "water" });
    // One open inactivity alert at a time: no storm of repeats.
    poll(30 * MINUTE_MS);
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    p.readings([{ device: "water-1", channel: "water_total_m3", value: 10.006, mono: clock.monotonicMs() }]);
    expect(sink.states("inactivity")).toEqual(["inactivity:raised", "inactivity:cleared"]);
    expect(sink.alerts[1]?.alert).toBe(raised?.alert);
    expect(sink.alerts[1]?.cause).toBe("activity");
  });

  it("uses the night threshold in the sleep window", () => {
    const { clock, sink } = setup("2026-03-02T21:00:00+08:00");
    clock.advanceBy(5 * HOUR_MS); // 02:00, night: 5 h < 12 h
    expect(sink.states("inactivity")).toEqual([]);
    clock.advanceBy(6 * HOUR_MS + 58 * MINUTE_MS); // 08:58: 1 h awake before sleep + 1 h 58 min after 07:00 < 4 h
    expect(sink.states("inactivity")).toEqual([]);
    clock.advanceBy(4 * MINUTE_MS); // 09:02: 12 h of silence across the sleep window
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(sink.alerts[0]?.evidence.rule).toBe("max_silence_night");
  });

  it("escalates an inactivity alert left alone", () => {
    const { clock, sink } = setup();
    clock.advanceBy(4 * HOUR_MS + MINUTE_MS);
    clock.advanceBy(HOUR_MS + 2 * MINUTE_MS);
    expect(sink.states("inactivity")).toEqual(["inactivity:raised", "inactivity:escalated"]);
  });

  it("does not count fridge-sized power wiggles, counts a kettle", () => {
    const { clock, sink, p } = setup();
    const now = () => clock.monotonicMs();
    p.readings([{ device: "m", channel: "power_w", value: 40, mono: now() }]);
    for (let i = 0; i < 26; i++) {
      clock.advanceBy(10 * MINUTE_MS);
      p.readings([{ device: "m", channel: "power_w", value: i % 2 ? 95 : 45, mono: now() }]);
    }
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    p.readings([{ device: "m", channel: "power_w", value: 2100, mono: now() }]);
    expect(sink.states("inactivity")).toEqual(["inactivity:raised", "inactivity:cleared"]);
  });
});

describe("pipeline: button", () => {
  it("raises a call that activity cannot clear and I-am-fine cannot clear; the cloud acknowledges it", () => {
    const { clock, sink, p } = setup();
    p.button({ device: "button-1", event: "press", mono: clock.monotonicMs(), counter: 5 });
    expect(sink.states()).toEqual(["call:raised"]);
    expect(sink.events[0]).toMatchObject({
      event: "button",
      device: "button-1",
      data: { event: "press", action: "call" },
    });
    p.button({ device: "button-1", event: "double_press", mono: clock.monotonicMs() });
    p.readings([{ device: "w", channel: "water_total_m3", value: 1, mono: clock.monotonicMs() }]);
    expect(sink.states("call")).toEqual(["call:raised"]);
    const id = sink.alerts[0]?.alert as string;
    p.acknowledge(id, "carer-7");
    expect(sink.states("call")).toEqual(["call:raised", "call:acknowledged"]);
    expect(sink.alerts.at(-1)).toMatchObject({ alert: id, by: "carer-7", cause: "cloud" });
    expect(() => p.acknowledge(id)).toThrow(/not open/);
  });

  it("I am fine clears an open inactivity alert", () => {
    const { clock, sink, p } = setup();
    clock.advanceBy(4 * HOUR_MS + MINUTE_MS);
    p.button({ device: "button-1", event: "double_press", mono: clock.monotonicMs() });
    expect(sink.states("inactivity")).toEqual(["inactivity:raised", "inactivity:cleared"]);
    expect(sink.alerts.at(-1)?.cause).toBe("i_am_fine");
  });
});

describe("pipeline: availability", () => {
  it("raises device_offline once and clears it when the device is back", () => {
    const { sink, p } = setup();
    p.availability("meter-1", "offline", "3 polls failed");
    p.availability("meter-1", "offline", "still failing");
    p.availability("meter-1", "online", "answered");
    expect(sink.states("device_offline")).toEqual(["device_offline:raised", "device_offline:cleared"]);
    expect(sink.events.map((e) => e.event)).toEqual(["device_offline", "device_online"]);
  });

  it("groups a poll's readings into one telemetry message with units", () => {
    const { clock, p, sink } = setup();
    p.readings([
      { device: "meter-1", channel: "power_w", value: 12, mono: clock.monotonicMs() },
      { device: "meter-1", channel: "energy_total_kwh", value: 100.5, mono: clock.monotonicMs() },
    ]);
    expect(sink.telemetry).toHaveLength(1);
    expect(sink.telemetry[0]?.values).toEqual([
      { channel: "power_w", value: 12, unit: "W" },
      { channel: "energy_total_kwh", value: 100.5, unit: "kWh" },
    ]);
  });
});
