import { describe, expect, it } from "vitest";
import { CALL_CLASS, isCallClass } from "../../src/contract/lifecycle.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { Escalation } from "../../src/pipeline/escalation.js";
import { FALL_REPEAT_AFTER_ACK_MS } from "../../src/pipeline/falls.js";
import { alertRig, pipelineRig } from "../helpers/pipeline-rig.js";

// Issue 10, point 3: a fall state raises a `fall` alert at once, protected like a call.
const setup = () => pipelineRig("2026-03-02T10:00:00+08:00");

describe("falls: a fall reading raises a fall alert at once", () => {
  it("raises on the reading itself, with the sensor and when it saw the fall; a no-fall reading raises nothing", () => {
    const { clock, sink, p, read } = setup();
    read("radar-1", "fall", 0);
    expect(sink.states("fall")).toEqual([]);
    clock.advanceBy(5_000);
    // The reading was taken 2 s before the pipeline heard of it.
    p.readings([{ device: "radar-1", channel: "fall", value: 1, mono: clock.monotonicMs() - 2_000 }]);
    expect(sink.states("fall")).toEqual(["fall:raised"]);
    expect(sink.alerts[0]).toMatchObject({
      kind: "fall",
      state: "raised",
      device: "radar-1",
      evidence: { channel: "fall", value: 1, detected_at: "2026-03-02T10:00:03.000+08:00" },
    });
  });

  it("keeps one open fall alert per sensor: repeats add nothing, another sensor raises its own", () => {
    const { clock, sink, read } = setup();
    read("radar-1", "fall", 1);
    clock.advanceBy(MINUTE_MS);
    read("radar-1", "fall", 0);
    read("radar-1", "fall", 1);
    read("radar-1", "fall", 1);
    expect(sink.states("fall")).toEqual(["fall:raised"]);
    read("radar-2", "fall", 1);
    expect(sink.alerts.filter((a) => a.kind === "fall").map((a) => a.device)).toEqual(["radar-1", "radar-2"]);
  });

  it("is never cleared by activity or I am fine; the cloud's ack closes it and a new fall raises anew", () => {
    const { sink, p, read } = setup();
    read("radar-1", "fall", 1);
    const id = sink.alerts[0]?.alert as string;
    read("water-1", "water_total_m3", 10);
    read("water-1", "water_total_m3", 10.01);
    read("pir-1", "motion", 0);
    read("pir-1", "motion", 1);
    p.button({ device: "button-1", event: "double_press", mono: 0 });
    expect(sink.states("fall")).toEqual(["fall:raised"]);
    expect(() => p.alerts.transition(id, "cleared", "activity", {})).toThrow(
      /closed only by acknowledgement/,
    );
    expect(p.alerts.get(id)?.state).toBe("raised");
    p.acknowledge(id, "carer-7");
    expect(sink.states("fall")).toEqual(["fall:raised", "fall:acknowledged"]);
    expect(sink.alerts.at(-1)).toMatchObject({ alert: id, cause: "cloud", by: "carer-7" });
    read("radar-1", "fall", 0);
    read("radar-1", "fall", 1);
    expect(sink.states("fall")).toEqual(["fall:raised", "fall:acknowledged", "fall:raised"]);
    expect(sink.alerts.at(-1)?.alert).not.toBe(id);
  });

  it("after an ack, the same fall state repeated raises again only after the hold-off", () => {
    const { clock, sink, p, read } = setup();
    read("radar-1", "fall", 1);
    p.acknowledge(sink.alerts[0]?.alert as string, "carer-7");
    // Zigbee2MQTT republishes the whole state, fall included, on every attribute change.
    clock.advanceBy(FALL_REPEAT_AFTER_ACK_MS - MINUTE_MS);
    read("radar-1", "fall", 1);
    expect(sink.states("fall")).toEqual(["fall:raised", "fall:acknowledged"]);
    clock.advanceBy(MINUTE_MS);
    read("radar-1", "fall", 1);
    expect(sink.states("fall")).toEqual(["fall:raised", "fall:acknowledged", "fall:raised"]);
    expect(sink.alerts.at(-1)?.evidence).toMatchObject({ note: expect.stringMatching(/still reports/) });
  });

  it("is raised while the watch is away (like a call), and a fall reading is not activity", () => {
    const { clock, sink, p, read } = setup();
    p.setWatch("away");
    read("radar-1", "fall", 1);
    expect(sink.states("fall")).toEqual(["fall:raised"]);
    p.setWatch("normal");
    read("water-1", "water_total_m3", 10);
    read("water-1", "water_total_m3", 10.01);
    clock.advanceBy(MINUTE_MS);
    read("radar-2", "fall", 1);
    expect(p.lastActivity()).toMatchObject({ source: "water", silence_s: 60 });
  });

  it("is escalated when left alone, as a call is", () => {
    const { clock, sink, read } = setup();
    read("radar-1", "fall", 1);
    clock.advanceBy(HOUR_MS + 2 * MINUTE_MS);
    expect(sink.states("fall")).toEqual(["fall:raised", "fall:escalated"]);
    expect(sink.alerts.find((a) => a.state === "escalated")?.cause).toBe("timeout");
  });
});

describe("call class", () => {
  it("holds call and fall and nothing else", () => {
    expect([...CALL_CLASS].sort()).toEqual(["call", "fall"]);
    expect(isCallClass("inactivity")).toBe(false);
    expect(isCallClass("not_home")).toBe(false);
  });

  it("escalation treats a fall like a call", () => {
    const { clock, sink, alerts } = alertRig("esc-fall");
    const esc = new Escalation(alerts, HOUR_MS, () => ({}));
    alerts.raise("fall", { channel: "fall", value: 1 }, "radar-1");
    alerts.raise("leak", {}, "water-1");
    clock.advanceBy(HOUR_MS);
    esc.check(clock.monotonicMs());
    expect(sink.states()).toEqual(["fall:raised", "leak:raised", "fall:escalated"]);
  });
});
