import { describe, expect, it } from "vitest";
import { Zigbee2mqttAdapter } from "../../../drivers/zigbee2mqtt/index.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { captureLog } from "../../helpers/log-capture.js";
import { loadProfile } from "../../helpers/profiles.js";
import { RecordingReadingSink } from "../../helpers/reading-sink.js";

const MOTION = "0x00158d0001a2b3c4";

function rig() {
  const sink = new RecordingReadingSink();
  const { log, lines } = captureLog();
  const adapter = new Zigbee2mqttAdapter({
    devices: [
      {
        id: "motion-1",
        ieee: MOTION.toUpperCase().replace("0X", "0x"),
        spec: loadProfile("aqara-rtcgq11lm", "zigbee2mqtt").zigbee2mqtt,
      },
    ],
    baseTopic: "z2m",
    sink,
    clock: new VirtualClock(),
    log,
  });
  const msg = (topic: string, payload: unknown, retained = false) =>
    adapter.message(
      `z2m/${topic}`,
      Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload)),
      retained,
    );
  return { sink, lines, adapter, msg };
}

describe("the Zigbee2MQTT adapter", () => {
  it("hears a device under its IEEE address (Z2M's default friendly name) before any bridge/devices", () => {
    const { sink, msg } = rig();
    msg(MOTION, { occupancy: true });
    expect(sink.of("motion-1", "motion").map((r) => r.value)).toEqual([1]);
  });

  it("ignores retained states, unconfigured devices, commands and other bridge topics", () => {
    const { sink, msg } = rig();
    msg(MOTION, { occupancy: true }, true);
    msg("someone else", { occupancy: true });
    msg(`${MOTION}/set`, { occupancy: true });
    msg("bridge/logging", { level: "info", message: "x" });
    expect(sink.all()).toEqual([]);
  });

  it("is healthy only when connected and the bridge says online", () => {
    const { adapter, msg, sink } = rig();
    expect(adapter.health().ok).toBe(false);
    adapter.connection(true, "connected");
    expect(adapter.health()).toEqual({
      ok: false,
      detail: "no bridge state from Zigbee2MQTT yet (is it running?)",
    });
    msg("bridge/state", { state: "online" });
    expect(adapter.health().ok).toBe(true);
    adapter.connection(false, "ECONNREFUSED");
    expect(adapter.health()).toEqual({ ok: false, detail: "broker: ECONNREFUSED" });
    expect(sink.receivers.at(-1)).toEqual({
      id: "zigbee2mqtt:z2m",
      ok: false,
      detail: "broker: ECONNREFUSED",
    });
  });

  it("a device list that is not a list keeps the names it had, and says so", () => {
    const { sink, msg, lines } = rig();
    msg("bridge/devices", [{ ieee_address: MOTION, friendly_name: "hall" }]);
    msg("bridge/devices", { not: "a list" });
    msg("hall", { occupancy: true });
    expect(sink.of("motion-1", "motion")).toHaveLength(1);
    expect(lines.some((l) => l.msg === "Zigbee2MQTT device list not understood: names kept")).toBe(true);
  });

  it("a device message while unavailable brings it back online", () => {
    const { sink, msg } = rig();
    msg(`${MOTION}/availability`, "offline");
    msg(MOTION, { occupancy: false });
    expect(sink.states("motion-1")).toEqual(["offline", "online"]);
  });
});
