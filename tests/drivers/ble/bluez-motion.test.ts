/**
 * A Shelly BLU Motion (the shipped profile, encrypted) over node-ble's real code against a BlueZ
 * impersonated by python-dbusmock on a private D-Bus, into the real Pipeline: its trigger is motion
 * activity. Skips (with the reason) where dbus-daemon or python3-dbusmock are missing; fails under CI=true.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BluezScanner } from "../../../drivers/ble/bluez.js";
import { MemoryCounterStore } from "../../../drivers/bthome/counter-guard.js";
import { BthomeReceiver } from "../../../drivers/bthome/receiver.js";
import { SystemClock } from "../../../src/core/clock.js";
import { SeededIds } from "../../../src/core/ids.js";
import { silentLogger } from "../../../src/core/log.js";
import type { Reading, ReadingSink } from "../../../src/core/readings.js";
import { HOUR_MS } from "../../../src/core/time.js";
import { Pipeline } from "../../../src/pipeline/pipeline.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import { bluezMockAvailable, bluezMockForSuite } from "../../helpers/bluez-mock.js";
import { TEST_KEY } from "../../helpers/bthome.js";
import { motionObjects, SimulatedSensor } from "../../helpers/bthome-sensor.js";
import { RecordingSink } from "../../helpers/message-sink.js";
import { waitFor } from "../../helpers/wait.js";

const present = bluezMockAvailable();
const MAC = "AA:00:00:00:00:21";

describe.runIf(present)("Shelly BLU Motion through node-ble and a dbusmock BlueZ into the pipeline", () => {
  const bluez = bluezMockForSuite();
  const stops: (() => Promise<void> | void)[] = [];

  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  it("a trigger (encrypted, repeated) is one motion activity with the sensor's light and battery as readings", async () => {
    const profile = loadCatalogue().profiles.get("shelly-blu-motion");
    if (profile?.protocol !== "bthome") throw new Error("shelly-blu-motion is not a bthome profile");
    const clock = new SystemClock();
    const pipeline = new Pipeline({
      home: "h1",
      timeZone: "Asia/Shanghai",
      clock,
      ids: new SeededIds("t"),
      sink: new RecordingSink(),
      log: silentLogger(),
      detection: {
        sleepStartMin: 22 * 60,
        sleepEndMin: 7 * 60,
        maxSilenceDayMs: 4 * HOUR_MS,
        maxSilenceNightMs: 12 * HOUR_MS,
        escalateAfterMs: HOUR_MS,
        powerStepW: 150,
      },
      buttonAction: () => undefined,
      telemetry: false,
    });
    pipeline.start();
    stops.push(() => pipeline.stop());
    const readings: Reading[] = [];
    const sink: ReadingSink = {
      readings: (b) => {
        readings.push(...b);
        pipeline.readings(b);
      },
      button: (b) => pipeline.button(b),
      availability: (d, s, r) => pipeline.availability(d, s, r),
    };
    const receiver = new BthomeReceiver({
      devices: [{ config: { id: "pir-living", profile: profile.id, mac: MAC, key: TEST_KEY }, profile }],
      sink,
      clock,
      counters: new MemoryCounterStore(),
      log: silentLogger(),
    });
    receiver.start();
    stops.push(() => receiver.stop());
    const scanner = new BluezScanner({
      consumer: receiver,
      clock,
      log: silentLogger(),
      pollMs: 100,
      callTimeoutMs: 2000,
      backoff: { minMs: 100, maxMs: 400 },
    });
    await scanner.start();
    stops.push(() => scanner.stop());
    const path = await bluez.addDevice(MAC, "SBMO-003Z");
    await waitFor("the sensor to be watched", () => scanner.watching(MAC));

    // The adverts' bytes come from the simulated sensor; BlueZ carries them as ServiceData changes.
    const frames: Uint8Array[] = [];
    const onAir = new SimulatedSensor({
      mac: MAC,
      key: TEST_KEY,
      repeats: 1,
      scanner: { transmit: (a) => frames.push(a.serviceData) },
    });
    onAir.report(motionObjects(false, 12));
    onAir.report(motionObjects(true, 15));
    for (const sd of frames) for (let i = 0; i < 3; i++) await bluez.advertise(path, sd);
    await waitFor("two adverts accepted", () => (receiver.stats()["pir-living"]?.accepted ?? 0) >= 2);

    expect(readings.filter((r) => r.channel === "motion").map((r) => r.value)).toEqual([0, 1]);
    expect(readings.filter((r) => r.channel === "illuminance_lx").map((r) => r.value)).toEqual([12, 15]);
    expect(readings.some((r) => r.channel === "battery_pct" && r.value === 95)).toBe(true);
    // One trigger is a sign of someone; the silence counts it once motion shows someone up.
    expect(pipeline.lastSign()).toMatchObject({ source: "motion", device: "pir-living", strength: 0.8 });
    expect(pipeline.lastActivity()).toBeUndefined();
  });
});
