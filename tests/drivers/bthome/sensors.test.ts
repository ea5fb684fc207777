/**
 * The ambient BLE senses end to end in-process: adverts in the byte layouts of the shipped profiles
 * (tests/helpers/bthome-sensor.ts) → the real BthomeReceiver with the real profile from
 * device-profiles/ → the real Pipeline → activity, its source and weight, and what clears an alert.
 */
import { describe, expect, it } from "vitest";
import { MemoryCounterStore } from "../../../drivers/bthome/counter-guard.js";
import { BthomeReceiver } from "../../../drivers/bthome/receiver.js";
import { SimulatedScanner } from "../../../drivers/bthome/sim/index.js";
import { silentLogger } from "../../../src/core/log.js";
import type { ButtonPress, DeviceAvailability, Reading, ReadingSink } from "../../../src/core/readings.js";
import { HOUR_MS, MINUTE_MS } from "../../../src/core/time.js";
import type { Activity } from "../../../src/pipeline/activity.js";
import { showsSomeoneUp, weightOf } from "../../../src/pipeline/activity-weights.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import { TEST_KEY } from "../../helpers/bthome.js";
import { motionObjects, SimulatedSensor, windowObjects } from "../../helpers/bthome-sensor.js";
import { pipelineRig } from "../../helpers/pipeline-rig.js";

const catalogue = loadCatalogue();
const MAC = "AA:BB:CC:DD:EE:21";

/** A home at Monday 09:00 with one sensor of profile `profile` as device `id`, heard through the receiver. */
function home(profile: string, id: string, key?: string) {
  const rig = pipelineRig("2026-03-02T09:00:00+08:00");
  const p = catalogue.profiles.get(profile);
  if (p?.protocol !== "bthome") throw new Error(`${profile} is not a bthome profile`);
  const readings: Reading[] = [];
  const activities: Activity[] = [];
  // The pipeline is the receiver's sink, as in the agent; readings and new activities are kept for the test.
  const sink: ReadingSink = {
    readings(batch) {
      readings.push(...batch);
      const before = rig.p.lastSign();
      rig.p.readings(batch);
      const after = rig.p.lastSign();
      if (after && after.mono !== before?.mono) activities.push(after);
    },
    button: (b: ButtonPress) => rig.p.button(b),
    availability: (d: string, s: DeviceAvailability, r: string) => rig.p.availability(d, s, r),
  };
  const receiver = new BthomeReceiver({
    devices: [{ config: { id, profile, mac: MAC, ...(key ? { key } : {}) }, profile: p }],
    sink,
    clock: rig.clock,
    counters: new MemoryCounterStore(),
    log: silentLogger(),
  });
  const scanner = new SimulatedScanner({ consumer: receiver });
  receiver.start();
  void scanner.start();
  const sensor = new SimulatedSensor({ mac: MAC, scanner, ...(key ? { key } : {}) });
  return { ...rig, receiver, sensor, readings, activities };
}

describe("Shelly BLU Motion (encrypted) through the real receiver and pipeline", () => {
  it("motion 0 → 1 is one motion activity; battery and light are readings, not activity", () => {
    const h = home("shelly-blu-motion", "pir-living", TEST_KEY);
    h.sensor.report(motionObjects(false, 35));
    h.clock.advanceBy(MINUTE_MS);
    h.sensor.report(motionObjects(true, 40));
    expect(h.readings.slice(-3).map((r) => [r.channel, r.value])).toEqual([
      ["battery_pct", 95],
      ["illuminance_lx", 40],
      ["motion", 1],
    ]);
    expect(h.activities.map((a) => [a.device, a.source, a.strength])).toEqual([
      ["pir-living", "motion", weightOf("motion").strength],
    ]);
    expect(h.receiver.stats()["pir-living"]).toMatchObject({ accepted: 2, duplicates: 4 });
  });

  it("a single trigger is not someone up; three triggers within 10 minutes are", () => {
    const h = home("shelly-blu-motion", "pir-living", TEST_KEY);
    h.sensor.report(motionObjects(false));
    for (let i = 0; i < 3; i++) {
      h.clock.advanceBy(3 * MINUTE_MS);
      h.sensor.report(motionObjects(true));
      if (i === 0) expect(showsSomeoneUp(h.activities)).toBeUndefined();
      h.clock.advanceBy(MINUTE_MS); // the blind time runs out: "no motion"
      h.sensor.report(motionObjects(false));
    }
    expect(h.activities).toHaveLength(3);
    expect(showsSomeoneUp(h.activities)).toMatchObject({ class: "motion", events: 3 });
  });

  it("after 4 h of daytime silence one trigger does not clear the inactivity alert; three in 10 min do", () => {
    const h = home("shelly-blu-motion", "pir-living", TEST_KEY);
    // Beacon mode: the quiet sensor still reports "no motion" every minute, so it stays online.
    for (let t = 0; t <= 4 * HOUR_MS + 2 * MINUTE_MS; t += MINUTE_MS) {
      h.sensor.report(motionObjects(false), false);
      h.clock.advanceBy(MINUTE_MS);
    }
    const raised = h.sink.alerts.filter((a) => a.kind === "inactivity" && a.state === "raised");
    expect(raised).toHaveLength(1);
    const cleared = () => h.sink.alerts.filter((a) => a.kind === "inactivity" && a.state === "cleared");
    // A person on the floor still twitches, and a PIR sees it: one trigger is no proof of a person up.
    for (let i = 0; i < 3; i++) {
      h.sensor.report(motionObjects(true));
      expect(cleared()).toHaveLength(i < 2 ? 0 : 1);
      h.clock.advanceBy(MINUTE_MS);
      h.sensor.report(motionObjects(false));
      h.clock.advanceBy(2 * MINUTE_MS);
    }
    expect(cleared()).toHaveLength(1);
    expect(cleared()[0]?.evidence).toMatchObject({
      last_activity: { source: "motion", device: "pir-living" },
    });
  });

  it("without the bind key's encryption an advert is refused: no reading, no activity", () => {
    const h = home("shelly-blu-motion", "pir-living", TEST_KEY);
    const air = new SimulatedScanner({ consumer: h.receiver });
    void air.start();
    const plain = new SimulatedSensor({ mac: MAC, scanner: air });
    plain.report(motionObjects(false));
    plain.report(motionObjects(true));
    expect(h.readings).toEqual([]);
    expect(h.activities).toEqual([]);
  });
});

describe("generic BTHome motion sensor (plain)", () => {
  it("motion, illuminance and battery; motion turning off is no activity", () => {
    const h = home("generic-bthome-motion", "pir-hall");
    h.sensor.report(motionObjects(false));
    h.sensor.report(motionObjects(true));
    h.clock.advanceBy(MINUTE_MS);
    h.sensor.report(motionObjects(false));
    expect(h.readings.filter((r) => r.channel === "motion").map((r) => r.value)).toEqual([0, 1, 0]);
    expect(h.activities.map((a) => a.source)).toEqual(["motion"]);
  });
});

describe("generic BTHome presence sensor", () => {
  it("occupancy (0x23) and presence (0x25) both feed occupancy; only the change to occupied is activity", () => {
    const h = home("generic-bthome-presence", "radar-1");
    h.sensor.report([{ id: 0x23, value: false }]);
    h.clock.advanceBy(MINUTE_MS);
    h.sensor.report([{ id: 0x23, value: true }]);
    // A radar keeps reporting a still (or fallen) person: holding on is not new activity.
    for (let i = 0; i < 5; i++) {
      h.clock.advanceBy(MINUTE_MS);
      h.sensor.report([{ id: 0x23, value: true }], false);
    }
    h.sensor.report([{ id: 0x25, value: false }]);
    h.clock.advanceBy(MINUTE_MS);
    h.sensor.report([{ id: 0x25, value: true }]);
    expect(h.readings.filter((r) => r.channel === "occupancy").map((r) => r.value)).toEqual([
      0, 1, 1, 1, 1, 1, 1, 0, 1,
    ]);
    expect(h.activities.map((a) => [a.source, a.device])).toEqual([
      ["occupancy", "radar-1"],
      ["occupancy", "radar-1"],
    ]);
    // Two arrivals seen by one radar are not someone up (a person on the floor can stir twice).
    expect(showsSomeoneUp(h.activities)).toBeUndefined();
  });
});

describe("Shelly BLU Door/Window (encrypted)", () => {
  it("opening and closing are each a door activity, strong at once", () => {
    const h = home("shelly-blu-door-window", "door-entrance", TEST_KEY);
    h.sensor.report(windowObjects(false));
    h.clock.advanceBy(MINUTE_MS);
    h.sensor.report(windowObjects(true));
    h.clock.advanceBy(MINUTE_MS);
    h.sensor.report(windowObjects(false));
    expect(h.activities.map((a) => [a.source, a.detail, a.strength])).toEqual([
      ["door", "door 1", weightOf("door").strength],
      ["door", "door 0", weightOf("door").strength],
    ]);
    expect(showsSomeoneUp(h.activities.slice(0, 1))).toMatchObject({ class: "strong", events: 1 });
  });
});
