/**
 * The BlueZ scanner's waits between attempts to acquire a missing adapter, on a virtual clock with a
 * node-ble stand-in: they double from the minimum to the maximum, and start again from the minimum
 * once the adapter was acquired.
 */
import { describe, expect, it } from "vitest";
import type { BleAdvert } from "../../../drivers/ble/advert.js";
import { BluezScanner } from "../../../drivers/ble/bluez.js";
import type { NodeBleAdapter, NodeBleModule } from "../../../drivers/ble/node-ble.js";
import { BTHOME_UUID } from "../../../drivers/bthome/advertising.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { silentLogger } from "../../../src/core/log.js";
import { captureLog } from "../../helpers/log-capture.js";

/** What the stand-in BlueZ has, and when the scanner asked it for its adapters. */
interface Bus {
  adapterPresent: boolean;
  /** The adapter's calls fail (it went away under the scanner). */
  adapterBroken: boolean;
  adapterAsks: number[];
}

function fakeNodeBle(bus: Bus, clock: VirtualClock): NodeBleModule {
  const iface = { on() {}, removeListener() {} };
  const helper = {
    on() {},
    removeListeners() {},
    prop: async () => undefined,
    set: async () => {},
    callMethod: async () => undefined,
  };
  const adapter: NodeBleAdapter = {
    helper,
    isPowered: () =>
      bus.adapterBroken
        ? Promise.reject(new Error("org.freedesktop.DBus.Error.UnknownObject"))
        : Promise.resolve(true),
    isDiscovering: async () => true,
    devices: async () => [],
    getDevice: () => Promise.reject(new Error("no devices here")),
  };
  return {
    createBluetooth: () => ({
      bluetooth: {
        dbus: {
          getProxyObject: async () => ({ getInterface: () => iface }),
          on() {},
          disconnect() {},
        },
        adapters: () => {
          bus.adapterAsks.push(clock.monotonicMs());
          return Promise.resolve(bus.adapterPresent ? ["hci0"] : []);
        },
        getAdapter: async () => adapter,
      },
      destroy() {},
    }),
    variant: (signature, value) => ({ signature, value }),
  };
}

function scanner(bus: Bus, clock: VirtualClock): BluezScanner {
  return new BluezScanner({
    consumer: { serviceUuid: BTHOME_UUID, advert: (_a: BleAdvert) => {} },
    clock,
    log: silentLogger(),
    pollMs: 100,
    backoff: { minMs: 1000, maxMs: 8000 },
    nodeBle: fakeNodeBle(bus, clock),
  });
}

/**
 * Runs the clock to `until` in poll-sized steps, letting each health check finish; `before(t)` may
 * change the stand-in BlueZ before the health check at t.
 */
async function runTo(
  clock: VirtualClock,
  until: number,
  before: (t: number) => void = () => {},
): Promise<void> {
  while (clock.monotonicMs() < until) {
    const t = clock.monotonicMs() + 100;
    before(t);
    clock.advanceTo(t);
    await new Promise((r) => setImmediate(r));
  }
}

describe("BluezScanner adapter retries", () => {
  it("waits 1, 2, 4, 8, 8 … s between attempts to find a missing adapter", async () => {
    const clock = new VirtualClock();
    const bus: Bus = { adapterPresent: false, adapterBroken: false, adapterAsks: [] };
    const s = scanner(bus, clock);
    await s.start();
    await runTo(clock, 40_000);
    await s.stop();
    expect(bus.adapterAsks).toEqual([0, 1000, 3000, 7000, 15_000, 23_000, 31_000, 39_000]);
    expect(s.status()).toMatchObject({ state: "stopped", acquisitions: 0 });
  });

  it("starts again from the shortest wait after the adapter was acquired and then lost", async () => {
    const clock = new VirtualClock();
    const bus: Bus = { adapterPresent: false, adapterBroken: false, adapterAsks: [] };
    const s = scanner(bus, clock);
    await s.start();
    await runTo(clock, 16_000, (t) => {
      if (t === 3500) bus.adapterPresent = true; // found at the attempt at 7 s
      if (t === 7500) {
        bus.adapterPresent = false; // gone: the next health check fails, retries begin at 8.5 s
        bus.adapterBroken = true;
      }
    });
    await s.stop();
    expect(bus.adapterAsks).toEqual([0, 1000, 3000, 7000, 8500, 10_500, 14_500]);
    expect(s.status().acquisitions).toBe(1);
  });

  it("a dbus-next whose match-rule bookkeeping could not be checked is said once, and scanning goes on", async () => {
    const clock = new VirtualClock();
    const bus: Bus = { adapterPresent: false, adapterBroken: false, adapterAsks: [] };
    const { log, lines } = captureLog();
    const s = new BluezScanner({
      consumer: { serviceUuid: BTHOME_UUID, advert: () => {} },
      clock,
      log,
      pollMs: 100,
      backoff: { minMs: 1000, maxMs: 1000 },
      nodeBle: { ...fakeNodeBle(bus, clock), matchRules: "unknown" },
    });
    await s.start();
    // Gone and back: a new connection, and no second warning.
    await runTo(clock, 3000, (t) => {
      if (t === 1000) bus.adapterPresent = true;
    });
    await s.stop();
    await s.start();
    await s.stop();
    expect(lines.filter((l) => String(l.msg).includes("match-rule"))).toEqual([
      expect.objectContaining({ level: 40, adapter: "hci0" }),
    ]);
    expect(s.status().acquisitions).toBe(2);
  });
});
