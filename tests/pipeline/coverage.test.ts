import { describe, expect, it } from "vitest";
import { MINUTE_MS } from "../../src/core/time.js";
import { Coverage } from "../../src/pipeline/coverage.js";
import { DeviceRegistry } from "../../src/pipeline/device-registry.js";
import { alertRig } from "../helpers/pipeline-rig.js";

function rig() {
  const { clock, sink, alerts } = alertRig("cov");
  const devices = new DeviceRegistry();
  const coverage = new Coverage({
    alerts,
    devices,
    degradedAfterMs: 45 * MINUTE_MS,
    timeZone: "Asia/Shanghai",
  });
  const read = (device: string, channel: "power_w" | "water_total_m3" | "fall", value: number) => {
    const r = { device, channel, value, mono: clock.monotonicMs() };
    devices.record(r, clock.wallMs());
    coverage.answered([r]);
  };
  const check = () => coverage.check(clock.monotonicMs(), clock.wallMs());
  return { clock, sink, alerts, devices, coverage, read, check };
}

describe("coverage", () => {
  it("is paused only when every sense heard from is degraded, or in a power cut", () => {
    const { clock, alerts, coverage, read, check } = rig();
    expect(coverage.paused()).toBe(false); // nothing heard of yet
    read("meter-1", "power_w", 30);
    read("water-1", "water_total_m3", 10);
    clock.advanceBy(30 * MINUTE_MS);
    read("meter-1", "power_w", 30);
    clock.advanceBy(20 * MINUTE_MS);
    check();
    expect(alerts.open().map((a) => a.device)).toEqual(["water-1"]);
    expect(coverage.paused()).toBe(false);
    clock.advanceBy(30 * MINUTE_MS);
    check();
    expect(coverage.paused()).toBe(true);
    read("water-1", "water_total_m3", 10);
    expect(coverage.paused()).toBe(false);
    alerts.raise("power_outage", {}, "meter-1");
    expect(coverage.paused()).toBe(true);
  });

  it("a silent fall sensor is monitoring_degraded naming its sense (issue 10)", () => {
    const { clock, sink, read, check } = rig();
    read("radar-1", "fall", 0);
    clock.advanceBy(45 * MINUTE_MS);
    check();
    expect(sink.states()).toEqual(["monitoring_degraded:raised"]);
    expect(sink.alerts[0]?.evidence).toMatchObject({ sense: "fall_sensor", missing_s: 45 * 60 });
  });

  it("a degraded sense names its sense and when it was last seen; its next reading clears it", () => {
    const { clock, sink, read, check } = rig();
    read("water-1", "water_total_m3", 10);
    clock.advanceBy(45 * MINUTE_MS - 1);
    check();
    expect(sink.alerts).toEqual([]);
    clock.advanceBy(1);
    check();
    check();
    expect(sink.states()).toEqual(["monitoring_degraded:raised"]);
    expect(sink.alerts[0]?.evidence).toMatchObject({
      sense: "water",
      last_seen: "2026-03-02T09:00:00.000+08:00",
      missing_s: 45 * 60,
    });
    read("water-1", "water_total_m3", 10);
    expect(sink.states()).toEqual(["monitoring_degraded:raised", "monitoring_degraded:cleared"]);
    expect(sink.alerts[1]?.evidence).toEqual({ device: "water-1", sense: "water" });
  });

  it("a receiver deaf for the limit is degraded from when it first went deaf, with its latest reason", () => {
    const { clock, sink, coverage, check } = rig();
    coverage.receiver("ble:hci0", false, "adapter absent", clock.monotonicMs());
    clock.advanceBy(40 * MINUTE_MS);
    coverage.receiver("ble:hci0", false, "powered off", clock.monotonicMs());
    clock.advanceBy(5 * MINUTE_MS);
    check();
    expect(sink.alerts[0]).toMatchObject({
      kind: "monitoring_degraded",
      device: "ble:hci0",
      evidence: { sense: "ble_receiver", detail: "powered off", since: "2026-03-02T09:00:00.000+08:00" },
    });
    coverage.receiver("ble:hci0", true, "scanning", clock.monotonicMs());
    expect(sink.states()).toEqual(["monitoring_degraded:raised", "monitoring_degraded:cleared"]);
    // Heard again: the next deafness counts from its own start.
    coverage.receiver("ble:hci0", false, "adapter absent", clock.monotonicMs());
    clock.advanceBy(44 * MINUTE_MS);
    check();
    expect(sink.alerts).toHaveLength(2);
  });

  it("on the gateway's battery a silent electricity meter is explained by the cut, a silent water meter is not", () => {
    const { clock, alerts, read, check } = rig();
    read("meter-1", "power_w", 30);
    read("water-1", "water_total_m3", 10);
    alerts.raise("power_outage", {}, "gateway");
    clock.advanceBy(60 * MINUTE_MS);
    check();
    expect(
      alerts
        .open()
        .filter((a) => a.kind === "monitoring_degraded")
        .map((a) => a.device),
    ).toEqual(["water-1"]);
  });
});
