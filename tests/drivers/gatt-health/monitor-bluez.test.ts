/**
 * The health monitor's node-ble GATT path against python-dbusmock's BlueZ with a simulated GATT
 * peripheral (tests/helpers/gatt-peripheral.ts). Skips with the reason where dbus-daemon or
 * python3-dbusmock are missing; fails under CI=true.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BluezScanner } from "../../../drivers/ble/bluez.js";
import { MemoryCounterStore } from "../../../drivers/bthome/counter-guard.js";
import { BthomeReceiver } from "../../../drivers/bthome/receiver.js";
import {
  encodeBloodPressure,
  encodePlxSpotCheck,
  encodeTemperature,
  encodeWeight,
} from "../../../drivers/gatt-health/encode.js";
import { RecordMemory } from "../../../drivers/gatt-health/memory.js";
import { type HealthDeviceConfig, HealthMonitor } from "../../../drivers/gatt-health/monitor.js";
import { SystemClock } from "../../../src/core/clock.js";
import { silentLogger } from "../../../src/core/log.js";
import type { HealthReading } from "../../../src/core/readings.js";
import { bluezMockAvailable, bluezMockForSuite } from "../../helpers/bluez-mock.js";
import { plainPress, testButtonProfile } from "../../helpers/bthome.js";
import { GattPeripheral } from "../../helpers/gatt-peripheral.js";
import { RecordingReadingSink } from "../../helpers/reading-sink.js";
import { waitFor } from "../../helpers/wait.js";

const present = bluezMockAvailable();
const TZ = "Europe/Berlin";
const at = (day: number, hours: number, minutes: number) => ({
  year: 2026,
  month: 12,
  day,
  hours,
  minutes,
  seconds: 0,
});

describe.runIf(present)("HealthMonitor (node-ble GATT) against a dbusmock BlueZ", () => {
  const bluez = bluezMockForSuite();
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function rig(dev: HealthDeviceConfig, chars: string[], o: { quietMs?: number } = {}) {
    const path = await bluez.addDevice(dev.mac, "BP-Monitor").catch((e) => {
      throw new Error(`addDevice: ${e}`);
    });
    const peripheral = await GattPeripheral.install(path, dev.services[0] ?? "blood_pressure", chars).catch(
      (e) => {
        throw new Error(`install: ${e}`);
      },
    );
    const readings: HealthReading[] = [];
    const monitor = new HealthMonitor({
      devices: [dev],
      clock: new SystemClock(),
      log: silentLogger(),
      timeZone: TZ,
      memory: new RecordMemory(),
      onReading: (r) => readings.push(r),
      quietMs: o.quietMs ?? 2000,
      retryGapMs: 0,
      pollMs: 100,
      connectTimeoutMs: 3000,
    });
    await monitor.start().catch((e) => {
      throw new Error(`start: ${e}`);
    });
    cleanup.push(
      () => peripheral.close(),
      () => monitor.stop(),
    );
    return { peripheral, monitor, readings };
  }

  it("a blood-pressure reading arrives with the device's own time stamp; then the device is let go", async () => {
    const dev = { id: "bp-1", mac: "C0:00:00:00:00:01", services: ["blood_pressure" as const] };
    const { peripheral, monitor, readings } = await rig(dev, ["2a35"]);
    await peripheral.advertise().catch((e) => {
      throw new Error(`advertise: ${e}`);
    });
    await peripheral.waitNotifying("2a35");
    await peripheral.indicate(
      "2a35",
      encodeBloodPressure({
        systolic: 142,
        diastolic: 91,
        meanArterialPressure: 108,
        pulseRate: 72,
        timestamp: at(6, 8, 30),
      }),
    );
    await waitFor("the reading", () => readings.length === 1);
    expect(readings[0]).toMatchObject({
      device: "bp-1",
      receiveTime: false,
      // 08:30 in Berlin in December is 07:30 UTC.
      atWallMs: Date.UTC(2026, 11, 6, 7, 30),
      values: [
        { channel: "systolic_mmhg", value: 142 },
        { channel: "diastolic_mmhg", value: 91 },
        { channel: "mean_arterial_pressure_mmhg", value: 108 },
        { channel: "pulse_bpm", value: 72 },
      ],
    });
    await waitFor(
      "the transfer to end and the link to close",
      async () => !monitor.busy && !(await peripheral.connected()),
    );
    expect(monitor.status()["bp-1"]).toMatchObject({ transfers: 1, readings: 1, failures: 0 });
  });

  it("a device that drops the link mid-transfer is read again at its next advert; queued records all arrive once", async () => {
    const dev = { id: "scale-1", mac: "C0:00:00:00:00:02", services: ["weight_scale" as const] };
    const { peripheral, monitor, readings } = await rig(dev, ["2a9d"], { quietMs: 2500 });
    const queued = [70.2, 70.6, 71.0].map((kg, i) =>
      encodeWeight({ rawWeight: Math.round(kg / 0.005), timestamp: at(3 + i, 7, 0) }),
    );
    await peripheral.advertise();
    await peripheral.waitNotifying("2a9d");
    await peripheral.indicate("2a9d", queued[0] as Uint8Array);
    await waitFor("the first record", () => readings.length === 1);
    await peripheral.dropLink();
    await waitFor("the failed transfer to end", () => !monitor.busy);
    // Not confirmed before the drop: the device sends all three again.
    await peripheral.advertise();
    await waitFor(
      "the second connection",
      async () => (await peripheral.connected()) && (await peripheral.notifying("2a9d")),
    );
    for (const v of queued) await peripheral.indicate("2a9d", v);
    await waitFor("all three records", () => readings.length === 3);
    await waitFor("the transfer to end", () => !monitor.busy);
    expect(readings.map((r) => r.values[0]?.value)).toEqual([70.2, 70.6, 71]);
    expect(monitor.status()["scale-1"]).toMatchObject({ transfers: 2, readings: 3, repeats: 1 });
  });

  it("a failed connection is retried at the next advert", async () => {
    const dev = { id: "ox-1", mac: "C0:00:00:00:00:03", services: ["pulse_oximeter" as const] };
    const { peripheral, monitor, readings } = await rig(dev, ["2a5e"]);
    await peripheral.failConnect(true);
    await peripheral.advertise();
    await waitFor("the failed attempt", () => monitor.status()["ox-1"]?.failures === 1);
    await waitFor("the monitor to be free", () => !monitor.busy);
    await peripheral.failConnect(false);
    await peripheral.advertise();
    await peripheral.waitNotifying("2a5e");
    await peripheral.indicate(
      "2a5e",
      encodePlxSpotCheck({ spo2: 96, pulseRate: 64, clockNotSet: true, timestamp: at(1, 0, 0) }),
    );
    await waitFor("the reading", () => readings.length === 1);
    // The device says its clock was never set: the receive time is used.
    expect(readings[0]).toMatchObject({
      receiveTime: true,
      values: [
        { channel: "spo2_pct", value: 96 },
        { channel: "pulse_bpm", value: 64 },
      ],
    });
    expect(Math.abs((readings[0]?.atWallMs ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(monitor.status()["ox-1"]).toMatchObject({ transfers: 2, failures: 1, readings: 1 });
  });

  it("a thermometer's °F reading with a never-set clock (year 2000) is recorded in °C at the receive time", async () => {
    const dev = { id: "thermo-1", mac: "C0:00:00:00:00:05", services: ["health_thermometer" as const] };
    const { peripheral, readings } = await rig(dev, ["2a1c"]);
    await peripheral.advertise();
    await peripheral.waitNotifying("2a1c");
    const never = { year: 2000, month: 1, day: 1, hours: 0, minutes: 3, seconds: 0 };
    await peripheral.indicate(
      "2a1c",
      encodeTemperature({ fahrenheit: true, temperature: 99.5, timestamp: never, type: 6 }),
    );
    await waitFor("the reading", () => readings.length === 1);
    expect(readings[0]).toMatchObject({
      receiveTime: true,
      values: [{ channel: "body_temperature_c", value: 37.5 }],
      flags: ["site_mouth"],
    });
    expect(Math.abs((readings[0]?.atWallMs ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it("the call button never goes deaf: a press during a transfer on the same adapter is delivered", async () => {
    const buttonMac = "AA:00:00:00:00:77";
    const sink = new RecordingReadingSink();
    const clock = new SystemClock();
    const receiver = new BthomeReceiver({
      devices: [
        { config: { id: "button-1", profile: "test-button", mac: buttonMac }, profile: testButtonProfile() },
      ],
      sink,
      clock,
      counters: new MemoryCounterStore(),
      log: silentLogger(),
    });
    const scanner = new BluezScanner({
      consumer: receiver,
      clock,
      log: silentLogger(),
      pollMs: 100,
      callTimeoutMs: 2000,
    });
    await scanner.start();
    cleanup.push(() => scanner.stop());
    const buttonPath = await bluez.addDevice(buttonMac, "SBBT-002C");
    await waitFor("the button to be watched", () => scanner.watching(buttonMac));

    const dev = { id: "bp-2", mac: "C0:00:00:00:00:04", services: ["blood_pressure" as const] };
    const { peripheral, monitor, readings } = await rig(dev, ["2a35"], { quietMs: 5000 });
    await peripheral.advertise();
    await peripheral.waitNotifying("2a35");
    expect(monitor.busy).toBe("bp-2");
    await peripheral.indicate(
      "2a35",
      encodeBloodPressure({ systolic: 130, diastolic: 85, meanArterialPressure: 100 }),
    );
    await waitFor("the first measurement", () => readings.length === 1);
    // The transfer is still open (it waits for the device to go quiet): the button is pressed now.
    await bluez.advertise(buttonPath, plainPress(11));
    await waitFor("the press", () => sink.presses.length === 1);
    expect(monitor.busy).toBe("bp-2");
    expect(await peripheral.connected()).toBe(true);
    expect(sink.presses[0]).toMatchObject({ device: "button-1", event: "press" });
    expect(await bluez.adapterProp("Discovering")).toBe(true);
  });
});
