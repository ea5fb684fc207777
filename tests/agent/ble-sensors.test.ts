/**
 * A home's config with the ambient BLE sensors (issue 10), through the agent's own driver wiring
 * (`startDrivers`, the real profiles, the real BTHome receiver) with a simulated radio: each sensor's
 * adverts become readings on the channels its profile names, and no sensor event is ever a call.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RunningDrivers } from "../../src/agent/drivers.js";
import { bleHome, parsedHome } from "../helpers/ble-home.js";
import { TEST_KEY } from "../helpers/bthome.js";
import { motionObjects, SimulatedSensor, windowObjects } from "../helpers/bthome-sensor.js";
import { RecordingReadingSink } from "../helpers/reading-sink.js";

const PIR = "AA:BB:CC:DD:EE:11";
const PIR2 = "AA:BB:CC:DD:EE:12";
const RADAR = "AA:BB:CC:DD:EE:13";
const DOOR = "AA:BB:CC:DD:EE:14";

const CONFIG = `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud:
  brokers:
    - url: mqtt://127.0.0.1:1883
devices:
  - { id: pir-living, profile: shelly-blu-motion, mac: "${PIR}", key: ${TEST_KEY} }
  - { id: pir-hall, profile: generic-bthome-motion, mac: "${PIR2}" }
  - { id: radar-bed, profile: generic-bthome-presence, mac: "${RADAR}" }
  - { id: door-entrance, profile: shelly-blu-door-window, mac: "${DOOR}", key: ${TEST_KEY} }
`;

const running: RunningDrivers[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

describe("the ambient BLE sensors in a home's config, through the agent's drivers", () => {
  it("config accepted (sensors need no key); each sensor's adverts become its profile's readings", async () => {
    const sink = new RecordingReadingSink();
    const { drivers, air } = await bleHome(parsedHome(CONFIG), sink);
    running.push(drivers);
    const scanner = air;
    const sensor = (mac: string, key?: string) =>
      new SimulatedSensor({ mac, scanner, ...(key ? { key } : {}) });

    sensor(PIR, TEST_KEY).report(motionObjects(true, 50));
    sensor(PIR2).report(motionObjects(true, 7));
    const radar = sensor(RADAR);
    radar.report([{ id: 0x23, value: true }]);
    radar.report([{ id: 0x25, value: false }]);
    sensor(DOOR, TEST_KEY).report(windowObjects(true, 30));

    const got = sink.all().map((r) => `${r.device}:${r.channel}=${r.value}`);
    expect(got).toEqual([
      "pir-living:battery_pct=95",
      "pir-living:illuminance_lx=50",
      "pir-living:motion=1",
      "pir-hall:battery_pct=95",
      "pir-hall:illuminance_lx=7",
      "pir-hall:motion=1",
      "radar-bed:battery_pct=95",
      "radar-bed:occupancy=1",
      "radar-bed:battery_pct=95",
      "radar-bed:occupancy=0",
      "door-entrance:battery_pct=95",
      "door-entrance:illuminance_lx=30",
      "door-entrance:door=1",
    ]);
    expect(sink.presses).toEqual([]);
  });
});
