import { describe, expect, it } from "vitest";
import { MINUTE_MS } from "../../src/core/time.js";
import { Coverage } from "../../src/pipeline/coverage.js";
import { DeviceRegistry } from "../../src/pipeline/device-registry.js";
import { alertRig } from "../helpers/pipeline-rig.js";

/**
 * Receivers that are not BLE adapters (Zigbee2MQTT's bridge), and devices whose liveness is reported
 * for them (Zigbee2MQTT's availability), issue 10.
 */
function rig() {
  const { clock, sink, alerts } = alertRig("cov");
  const devices = new DeviceRegistry();
  const coverage = new Coverage({
    alerts,
    devices,
    degradedAfterMs: 45 * MINUTE_MS,
    timeZone: "Asia/Shanghai",
  });
  const read = (device: string) => {
    const r = { device, channel: "motion" as const, value: 1, mono: clock.monotonicMs() };
    devices.record(r, clock.wallMs());
    coverage.answered([r]);
  };
  const check = () => coverage.check(clock.monotonicMs(), clock.wallMs());
  return { clock, sink, coverage, read, check };
}

const Z2M = { sense: "zigbee2mqtt", note: "the Zigbee sensors cannot be heard" };
const SENSOR = { sense: "zigbee_sensor", note: "unavailable" };

describe("coverage of receivers and devices reported by another system", () => {
  it("a deaf receiver of another kind is degraded with its own sense and note", () => {
    const { clock, sink, coverage, check } = rig();
    coverage.receiver(
      "zigbee2mqtt:zigbee2mqtt",
      false,
      "Zigbee2MQTT bridge offline",
      clock.monotonicMs(),
      Z2M,
    );
    clock.advanceBy(45 * MINUTE_MS);
    check();
    expect(sink.alerts[0]?.evidence).toMatchObject({ sense: "zigbee2mqtt", note: Z2M.note });
    coverage.receiver("zigbee2mqtt:zigbee2mqtt", true, "online", clock.monotonicMs(), Z2M);
    expect(sink.alerts[1]?.evidence).toEqual({ device: "zigbee2mqtt:zigbee2mqtt", sense: "zigbee2mqtt" });
  });

  it("a device whose availability is reported is judged by that, not by its silence", () => {
    const { clock, sink, coverage, read, check } = rig();
    read("motion-1");
    read("motion-2");
    coverage.receiver("motion-1", true, "availability online", clock.monotonicMs(), SENSOR);
    clock.advanceBy(3 * 60 * MINUTE_MS);
    check();
    // motion-2 has no availability: its silence still counts; motion-1 is available, so it is fine.
    expect(sink.alerts.map((a) => a.device)).toEqual(["motion-2"]);
    coverage.receiver("motion-1", false, "availability offline", clock.monotonicMs(), SENSOR);
    clock.advanceBy(45 * MINUTE_MS);
    check();
    expect(sink.alerts.map((a) => [a.device, (a.evidence as { sense: string }).sense])).toEqual([
      ["motion-2", "ble_sensor"],
      ["motion-1", "zigbee_sensor"],
    ]);
  });
});
