/**
 * A device watch caught by a dying connection. dbus-next never settles a call on a connection that
 * went away, so a watch waiting on one never ends; it must not keep the device from being watched on
 * the next connection. (Seen on a real bus: after a reconnect the scanner said "scanning" and never
 * watched the call button again.) A node-ble stand-in on a virtual clock.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { BluezScanner } from "../../../drivers/ble/bluez.js";
import type { NodeBleAdapter, NodeBleDevice, NodeBleModule } from "../../../drivers/ble/node-ble.js";
import { BTHOME_UUID } from "../../../drivers/bthome/advertising.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { silentLogger } from "../../../src/core/log.js";
import { runUntil } from "../../helpers/wait.js";

const MAC = "AA:00:00:00:03:01";
const DEVICE_PATH = `/org/bluez/hci0/dev_${MAC.replace(/:/g, "_")}`;

/** A stand-in BlueZ whose first getDevice hangs forever, as a call on a connection that died. */
function standIn() {
  const buses: EventEmitter[] = [];
  const objectManagers: EventEmitter[] = [];
  let getDeviceCalls = 0;
  const device: NodeBleDevice = {
    helper: {
      on() {},
      removeListeners() {},
      prop: async () => -60,
      set: async () => {},
      callMethod: async () => undefined,
    },
    getServiceData: async () => ({}),
  };
  const adapter: NodeBleAdapter = {
    helper: device.helper,
    isPowered: async () => true,
    isDiscovering: async () => true,
    devices: async () => [MAC],
    getDevice: () => {
      getDeviceCalls++;
      return getDeviceCalls === 1 ? new Promise<NodeBleDevice>(() => {}) : Promise.resolve(device);
    },
  };
  const nodeBle: NodeBleModule = {
    createBluetooth: () => {
      const bus = new EventEmitter();
      const om = new EventEmitter();
      buses.push(bus);
      objectManagers.push(om);
      return {
        bluetooth: {
          dbus: {
            getProxyObject: async (_service: string, path: string) => ({
              getInterface: () => (path === "/" ? om : new EventEmitter()),
            }),
            on: (event: "error", listener: (err: unknown) => void) => void bus.on(event, listener),
            disconnect() {},
          },
          adapters: async () => ["hci0"],
          getAdapter: async () => adapter,
        },
        destroy() {},
      };
    },
    variant: (signature, value) => ({ signature, value }),
  };
  return { nodeBle, buses, objectManagers, getDeviceCalls: () => getDeviceCalls };
}

describe("BluezScanner: a watch hung on a dead connection", () => {
  it("does not keep the device from being watched after the reconnect", async () => {
    const clock = new VirtualClock();
    const bluez = standIn();
    const scanner = new BluezScanner({
      consumer: { serviceUuid: BTHOME_UUID, advert: () => {} },
      clock,
      log: silentLogger(),
      pollMs: 100,
      backoff: { minMs: 1000, maxMs: 1000 },
      nodeBle: bluez.nodeBle,
    });
    // start() waits for the first health check, which hangs in the watch until the bus fails.
    const started = scanner.start();
    // Right after start the device was listed: its watch is the one that hangs.
    await runUntil(clock, "the first watch to start", () => bluez.getDeviceCalls() === 1);
    expect(scanner.watching(MAC)).toBe(false);

    // The connection dies under it (as a refused AddMatch or a broken socket reports).
    bluez.buses[0]?.emit("error", new Error("connection lost"));
    await started;
    await runUntil(clock, "a new connection", () => bluez.buses.length === 2);
    // BlueZ still has the device; the new connection lists it and announces it again.
    bluez.objectManagers[1]?.emit("InterfacesAdded", DEVICE_PATH, {
      "org.bluez.Device1": { Address: { signature: "s", value: MAC } },
    });
    await runUntil(clock, "the device to be watched on the new connection", () => scanner.watching(MAC), {
      timeoutMs: 5000,
      detail: () => ({ status: scanner.status(), getDeviceCalls: bluez.getDeviceCalls() }),
    });
    expect(scanner.status()).toMatchObject({ state: "scanning", watched: 1, acquisitions: 2 });
    await scanner.stop();
  });
});
