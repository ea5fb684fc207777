import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { Escalation } from "../../src/pipeline/escalation.js";
import { alertRig } from "../helpers/pipeline-rig.js";

function rig() {
  const { clock, sink, alerts } = alertRig("esc");
  const esc = new Escalation(alerts, HOUR_MS, () => ({ last_activity: null }));
  return { clock, sink, alerts, esc };
}

describe("escalation", () => {
  it("escalates a call and an inactivity alert left raised for the limit, once, with how long they were open", () => {
    const { clock, sink, alerts, esc } = rig();
    alerts.raise("call", { event: "press" }, "button-1");
    clock.advanceBy(10 * MINUTE_MS);
    alerts.raise("inactivity", {});
    clock.advanceBy(50 * MINUTE_MS - 1);
    esc.check(clock.monotonicMs());
    expect(sink.states()).toEqual(["call:raised", "inactivity:raised"]);
    clock.advanceBy(1);
    esc.check(clock.monotonicMs());
    expect(sink.states()).toEqual(["call:raised", "inactivity:raised", "call:escalated"]);
    expect(sink.alerts.at(-1)?.evidence).toEqual({ open_for_s: 3600 });
    expect(sink.alerts.at(-1)?.cause).toBe("timeout");
    clock.advanceBy(10 * MINUTE_MS);
    esc.check(clock.monotonicMs());
    esc.check(clock.monotonicMs());
    expect(sink.states()).toEqual([
      "call:raised",
      "inactivity:raised",
      "call:escalated",
      "inactivity:escalated",
    ]);
    // An inactivity alert carries what is known of the last activity.
    expect(sink.alerts.at(-1)?.evidence).toEqual({ last_activity: null, open_for_s: 3600 });
    // Escalated once: however long they stay open after that.
    clock.advanceBy(3 * HOUR_MS);
    esc.check(clock.monotonicMs());
    expect(sink.alerts).toHaveLength(4);
  });

  it("leaves other kinds, and alerts a carer has acknowledged, alone", () => {
    const { clock, sink, alerts, esc } = rig();
    alerts.raise("device_offline", { reason: "3 polls failed" }, "meter-1");
    alerts.raise("leak", {}, "water-1");
    const call = alerts.raise("call", { event: "press" }, "button-1");
    alerts.transition(call.alert, "acknowledged", "cloud", {}, "carer-7");
    clock.advanceBy(5 * HOUR_MS);
    esc.check(clock.monotonicMs());
    expect(sink.states()).toEqual([
      "device_offline:raised",
      "leak:raised",
      "call:raised",
      "call:acknowledged",
    ]);
  });
});
