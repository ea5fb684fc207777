/**
 * node-ble's real code against a BlueZ impersonated by python-dbusmock on a private D-Bus.
 * Skips (with the reason) where dbus-daemon or python3-dbusmock are missing; fails under CI=true.
 */

import { afterEach, describe, expect, it } from "vitest";
import { BluezScanner } from "../../../drivers/ble/bluez.js";
import { BTHOME_UUID } from "../../../drivers/bthome/advertising.js";
import { encodeObjects, encodeServiceData } from "../../../drivers/bthome/codec.js";
import { type CounterStore, MemoryCounterStore } from "../../../drivers/bthome/counter-guard.js";
import type { BthomeDevice } from "../../../drivers/bthome/devices.js";
import { keyFromHex } from "../../../drivers/bthome/encryption.js";
import { BthomeReceiver } from "../../../drivers/bthome/receiver.js";
import { scanBle } from "../../../drivers/bthome/scan.js";
import { SystemClock } from "../../../src/core/clock.js";
import { type Logger, silentLogger } from "../../../src/core/log.js";
import { MINUTE_MS } from "../../../src/core/time.js";
import { bluezMockAvailable, bluezMockForSuite } from "../../helpers/bluez-mock.js";
import { plainPress, TEST_KEY, testButtonProfile } from "../../helpers/bthome.js";
import { captureLog } from "../../helpers/log-capture.js";
import { RecordingReadingSink } from "../../helpers/reading-sink.js";
import { sleep, waitFor } from "../../helpers/wait.js";

const present = bluezMockAvailable();

const profile = testButtonProfile();

/** A BTHome receiver fed by a BluezScanner on hci0 (not started), on the system clock. */
function agent(
  mac: string,
  options: {
    key?: string;
    counters?: CounterStore;
    pollMs?: number;
    log?: Logger;
    devices?: () => readonly string[];
  } = {},
) {
  const sink = new RecordingReadingSink();
  const device: BthomeDevice = {
    config: { id: "button-1", profile: "test-button", mac, ...(options.key ? { key: options.key } : {}) },
    profile,
  };
  const clock = new SystemClock();
  const receiver = new BthomeReceiver({
    devices: [device],
    sink,
    clock,
    counters: options.counters ?? new MemoryCounterStore(),
    log: silentLogger(),
  });
  const scanner = new BluezScanner({
    consumer: receiver,
    clock,
    log: options.log ?? silentLogger(),
    pollMs: options.pollMs ?? 100,
    callTimeoutMs: 2000,
    backoff: { minMs: 100, maxMs: 400 },
    ...(options.devices ? { devices: options.devices } : {}),
  });
  return { sink, receiver, scanner };
}

describe.runIf(present)("BluezScanner with node-ble against a dbusmock BlueZ", () => {
  const bluez = bluezMockForSuite();
  const scanners: BluezScanner[] = [];

  afterEach(async () => {
    for (const s of scanners.splice(0)) await s.stop();
  });

  /** `agent(…)` with its scanner started, and stopped after the test. */
  async function started(mac: string, options: Parameters<typeof agent>[1] = {}) {
    const a = agent(mac, options);
    scanners.push(a.scanner);
    await a.scanner.start();
    return a;
  }

  it("starts LE discovery with duplicate data on", async () => {
    const { scanner } = await started("AA:00:00:00:00:01");
    expect(await bluez.adapterProp("Discovering")).toBe(true);
    expect(await bluez.adapterProp("DiscoveryFilter")).toMatchObject({
      Transport: { value: "le" },
      DuplicateData: { value: true },
    });
    expect(scanner.status().state).toBe("scanning");
  });

  it("an advert delivered five times is one press", async () => {
    const mac = "AA:00:00:00:00:02";
    const { scanner, sink, receiver } = await started(mac);
    const path = await bluez.addDevice(mac);
    await waitFor("the device to be watched", () => scanner.watching(mac));
    const sd = plainPress(7);
    for (let i = 0; i < 5; i++) await bluez.advertise(path, sd);
    await waitFor("five adverts", () => (receiver.stats()["button-1"]?.duplicates ?? 0) >= 4);
    expect(sink.presses.map((p) => [p.event, p.counter])).toEqual([["press", 7]]);
    expect(receiver.stats()["button-1"]).toMatchObject({ accepted: 1, duplicates: 4 });
  });

  it("given the home's MACs, watches only those: a stranger's adverts are neither watched nor remembered", async () => {
    const mine = "AA:00:00:00:00:0A";
    const stranger = "AA:00:00:00:00:0B";
    const { scanner, sink } = await started(mine, { devices: () => [mine.toLowerCase()] });
    const strangerPath = await bluez.addDevice(stranger);
    const minePath = await bluez.addDevice(mine);
    await waitFor("the home's device to be watched", () => scanner.watching(mine));
    for (let i = 0; i < 3; i++) await bluez.advertise(strangerPath, plainPress(40 + i));
    await bluez.advertise(minePath, plainPress(9));
    await waitFor("the home's press", () => sink.presses.length === 1);
    expect(scanner.watching(stranger)).toBe(false);
    expect(scanner.status().watched).toBe(1);
    expect(scanner.status().adverts).toBe(1);
  });

  it("an encrypted advert replayed after a restart (new driver, same CounterStore) is rejected", async () => {
    const mac = "AA:00:00:00:00:03";
    const counters = new MemoryCounterStore();
    const recorded = encodeServiceData(
      encodeObjects([
        { id: 0x00, value: 1 },
        { id: 0x3a, value: 1 },
      ]),
      {
        triggerBased: true,
        key: keyFromHex(TEST_KEY),
        mac,
        counter: 41,
      },
    );
    const path = await bluez.addDevice(mac);

    const first = await started(mac, { key: TEST_KEY, counters });
    await waitFor("the device to be watched", () => first.scanner.watching(mac));
    await bluez.advertise(path, recorded);
    await waitFor("the press", () => first.sink.presses.length === 1);
    await first.scanner.stop();
    expect(counters.get(mac)).toBe(41);

    const second = await started(mac, { key: TEST_KEY, counters });
    await waitFor("the device to be watched", () => second.scanner.watching(mac));
    await bluez.advertise(path, recorded);
    await waitFor(
      "the replay to be seen",
      () => (second.receiver.stats()["button-1"]?.rejected_replay ?? 0) >= 1,
    );
    expect(second.sink.presses).toEqual([]);
  });

  it("an unencrypted advert from a MAC with a bind key is rejected", async () => {
    const mac = "AA:00:00:00:00:04";
    const { scanner, sink, receiver } = await started(mac, { key: TEST_KEY });
    const path = await bluez.addDevice(mac);
    await waitFor("the device to be watched", () => scanner.watching(mac));
    await bluez.advertise(path, plainPress(3));
    await waitFor("the rejection", () => (receiver.stats()["button-1"]?.rejected_unencrypted ?? 0) >= 1, {
      detail: () => [scanner.status(), receiver.stats()],
    });
    expect(sink.presses).toEqual([]);
  });

  it("restarts discovery when something else stops it", async () => {
    const { scanner } = await started("AA:00:00:00:00:05");
    await bluez.stopDiscovery();
    await waitFor("discovery to be restarted", () => scanner.status().discoveryRestarts >= 1);
    expect(await bluez.adapterProp("Discovering")).toBe(true);
  });

  it("restarts discovery at once on the adapter's PropertiesChanged, not only on the poll", async () => {
    // A poll of one minute cannot be what restarts it within the wait below.
    const { scanner } = await started("AA:00:00:00:00:09", { pollMs: MINUTE_MS });
    await bluez.stopDiscovery();
    await waitFor("discovery to be restarted", () => scanner.status().discoveryRestarts >= 1, {
      timeoutMs: 15_000,
    });
    expect(await bluez.adapterProp("Discovering")).toBe(true);
  });

  it("adapter removed and re-added: discovery resumes without restarting the scanner", async () => {
    const mac = "AA:00:00:00:00:06";
    const { log, lines } = captureLog();
    const { scanner, sink } = await started(mac, { log });
    await bluez.removeAdapter("hci0");
    await waitFor("the adapter to be seen gone", () => scanner.status().state === "absent");
    expect(scanner.status().watched).toBe(0);
    // What the pipeline is told: deaf, and why.
    expect(scanner.health()).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^adapter hci0 absent/),
    });
    expect(lines.filter((l) => l.level === 40 && l.msg === "BLE adapter lost")).toEqual([
      expect.objectContaining({ adapter: "hci0", reason: expect.any(String) }),
    ]);

    await bluez.addAdapter("hci0");
    await waitFor("the adapter to be re-acquired", () => scanner.status().state === "scanning");
    expect(scanner.health()).toEqual({ ok: true, detail: "scanning" });
    expect(scanner.status().acquisitions).toBe(2);
    expect(await bluez.adapterProp("Discovering")).toBe(true);

    const path = await bluez.addDevice(mac);
    await waitFor("the device to be watched", () => scanner.watching(mac));
    await bluez.advertise(path, plainPress(9));
    await waitFor("the press", () => sink.presses.length === 1);
    expect(sink.presses[0]?.counter).toBe(9);
  });

  it("an adapter that is powered off is reported, and powered on again", async () => {
    await bluez.setPowered(false);
    const { scanner } = await started("AA:00:00:00:00:07");
    await waitFor("power back on", async () => (await bluez.adapterProp("Powered")) === true);
    await waitFor("scanning", () => scanner.status().state === "scanning");
    expect(scanner.status().lastError).toMatch(/powered off/);
  });

  it("system bus unreachable at start: start() does not throw, and scanning begins once it is there", async () => {
    const real = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = "unix:path=/nonexistent/hearth-test-bus";
    try {
      const { scanner } = await started("AA:00:00:00:00:0A");
      expect(scanner.status().state).toBe("error");
      expect(scanner.status().lastError).toMatch(/system D-Bus connection failed: ENOENT/);
      process.env.DBUS_SYSTEM_BUS_ADDRESS = real;
      await waitFor("scanning", () => scanner.status().state === "scanning");
    } finally {
      process.env.DBUS_SYSTEM_BUS_ADDRESS = real;
    }
  });

  it("a missing adapter is retried in the background; start() does not throw", async () => {
    const other = new BluezScanner({
      consumer: { serviceUuid: BTHOME_UUID, advert: () => {} },
      clock: new SystemClock(),
      log: silentLogger(),
      adapter: "hci7",
      pollMs: 100,
    });
    scanners.push(other);
    await other.start();
    expect(other.status().state).toBe("absent");
    expect(other.status().lastError).toMatch(/hci7 not present \(have: hci0\)/);
  });

  it("bluetoothd restarts (the name org.bluez goes and comes back): the scanner finds the adapter again", async () => {
    const mac = "AA:00:00:00:00:0B";
    const { scanner, sink } = await started(mac);
    expect(scanner.status().state).toBe("scanning");
    await bluez.restartBluez();
    await waitFor("the loss to be seen", () => scanner.status().state !== "scanning");
    await bluez.addAdapter("hci0");
    await waitFor("scanning again", () => scanner.status().state === "scanning");
    const path = await bluez.addDevice(mac);
    await waitFor("the device to be watched", () => scanner.watching(mac));
    await bluez.advertise(path, plainPress(12));
    await waitFor("the press", () => sink.presses.length === 1);
  });

  it("scanBle through the real BlueZ scanner lists a device that advertises during the scan", async () => {
    const mac = "AA:00:00:00:00:0C";
    const scan = scanBle({ seconds: 2, adapter: "hci0", clock: new SystemClock() });
    const path = await bluez.addDevice(mac);
    let done = false;
    const result = scan.finally(() => {
      done = true;
    });
    // Keep advertising until the scan ends: the scanner must first see the device and subscribe.
    while (!done) {
      await bluez.advertise(
        path,
        encodeServiceData(
          encodeObjects([
            { id: 0x01, value: 77 },
            { id: 0x3a, value: 1 },
          ]),
        ),
      );
      await sleep(100);
    }
    const { devices } = await result;
    expect(devices.find((d) => d.mac === mac)).toMatchObject({
      mac,
      rssi: -79,
      encrypted: false,
      values: { battery: 77 },
      last_event: "press",
    });
  });
});
