import { describe, expect, it } from "vitest";
import type { AdvertConsumer } from "../../../drivers/ble/advert.js";
import { encodeObjects, encodeServiceData } from "../../../drivers/bthome/codec.js";
import { configSnippet, scanBle, waitForPress } from "../../../drivers/bthome/scan.js";
import { SimulatedButton, SimulatedScanner } from "../../../drivers/bthome/sim/index.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";

const KEY = "231d39c1d7cc1ab1aee224cd096db932";

/** A simulated air: the scan API builds its scanner through this factory. */
function air() {
  let scanner: SimulatedScanner | undefined;
  const factory = (consumer: AdvertConsumer) => {
    scanner = new SimulatedScanner({ consumer });
    return scanner;
  };
  const get = () => {
    if (!scanner) throw new Error("scanner not created yet");
    return scanner;
  };
  return { factory, get };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("scanBle", () => {
  it("lists each device once with rssi, values, last event; encrypted without key says so", async () => {
    const clock = new VirtualClock();
    const a = air();
    const done = scanBle({ seconds: 10, clock, scanner: a.factory });
    await tick();
    const plain = new SimulatedButton({ mac: "aa:bb:cc:00:00:01", scanner: a.get(), rssi: -60, battery: 90 });
    const locked = new SimulatedButton({ mac: "AA:BB:CC:00:00:02", scanner: a.get(), rssi: -70, key: KEY });
    plain.press("double_press");
    locked.press();
    a.get().transmit({
      mac: "AA:BB:CC:00:00:03",
      rssi: -50,
      serviceData: encodeServiceData(
        encodeObjects([
          { id: 0x01, value: 55 },
          { id: 0x2d, value: true },
        ]),
      ),
    });
    clock.advanceBy(10_000);
    const { devices } = await done;
    expect(devices.map((d) => d.mac)).toEqual([
      "AA:BB:CC:00:00:03",
      "AA:BB:CC:00:00:01",
      "AA:BB:CC:00:00:02",
    ]);
    expect(devices[0]).toEqual({
      mac: "AA:BB:CC:00:00:03",
      rssi: -50,
      encrypted: false,
      trigger_based: false,
      values: { battery: 55, window: true },
      adverts: 1,
    });
    expect(devices[1]).toMatchObject({ values: { battery: 90 }, last_event: "double_press", adverts: 5 });
    expect(devices[2]).toMatchObject({
      encrypted: true,
      values: {},
      problem: expect.stringMatching(/no bind key/),
    });
    expect(a.get().running).toBe(false);
  });

  it("decrypts devices whose key is given", async () => {
    const clock = new VirtualClock();
    const a = air();
    const done = scanBle({ seconds: 1, clock, scanner: a.factory, keys: { "AA:BB:CC:00:00:02": KEY } });
    await tick();
    new SimulatedButton({ mac: "AA:BB:CC:00:00:02", scanner: a.get(), key: KEY, battery: 42 }).press(
      "long_press",
    );
    clock.advanceBy(1000);
    const { devices } = await done;
    expect(devices[0]).toMatchObject({ encrypted: true, values: { battery: 42 }, last_event: "long_press" });
  });
});

describe("waitForPress", () => {
  it("returns the first pressed button's MAC and a config snippet; beacons and strangers do not count", async () => {
    const clock = new VirtualClock();
    const a = air();
    const done = waitForPress({ timeoutSeconds: 60, clock, scanner: a.factory });
    await tick();
    const quiet = new SimulatedButton({ mac: "AA:BB:CC:00:00:09", scanner: a.get() });
    quiet.beacon();
    const b = new SimulatedButton({ mac: "AA:BB:CC:00:00:10", scanner: a.get(), rssi: -40 });
    b.press();
    const found = await done;
    expect(found).toEqual({
      mac: "AA:BB:CC:00:00:10",
      event: "press",
      encrypted: false,
      rssi: -40,
      snippet: configSnippet("AA:BB:CC:00:00:10", false),
    });
    expect(found.snippet).toContain('mac: "AA:BB:CC:00:00:10"');
  });

  it("an encrypted button pressed with its key given: the snippet carries that key, not a placeholder", async () => {
    // Bug: the snippet had a "<32 hex …>" placeholder although a press of an encrypted button is only
    // recognised when its key was given, so the printed entry failed the config check.
    const clock = new VirtualClock();
    const a = air();
    const mac = "AA:BB:CC:00:00:12";
    const done = waitForPress({
      timeoutSeconds: 60,
      clock,
      scanner: a.factory,
      keys: { [mac]: KEY.toUpperCase() },
    });
    await tick();
    new SimulatedButton({ mac, scanner: a.get(), key: KEY }).press();
    const found = await done;
    expect(found).toMatchObject({ mac, encrypted: true });
    expect(found.snippet).toBe(configSnippet(mac, true, undefined, undefined, KEY));
    expect(found.snippet).toContain(`key: "${KEY}"`);
    expect(configSnippet(mac, true)).toContain("<32 hex");
  });

  it("times out with a typed error that says an encrypted button needs its key", async () => {
    const clock = new VirtualClock();
    const a = air();
    const done = waitForPress({ timeoutSeconds: 30, clock, scanner: a.factory });
    await tick();
    new SimulatedButton({ mac: "AA:BB:CC:00:00:11", scanner: a.get(), key: KEY }).press();
    clock.advanceBy(30_000);
    const err = await done.catch((e: unknown) => e);
    expect(isHearthError(err, ErrorCode.Timeout)).toBe(true);
    expect((err as Error).message).toMatch(
      /encrypted adverts from AA:BB:CC:00:00:11: give the button's bind key/,
    );
  });
});
