/**
 * The match rules our D-Bus connection holds on the bus stay flat while devices come and go, the
 * adapter is removed and returned, and bluetoothd restarts, all on one connection (the scanner keeps
 * its connection through these; a new one would hide a leak, since the bus frees a closed
 * connection's rules). Counted by the daemon itself (org.freedesktop.DBus.Debug.Stats) on a private
 * dbus-daemon with the dbusmock BlueZ. Without drivers/ble/dbus-match-rules.ts, dbus-next never sends
 * RemoveMatch and the count grows by one rule per device cycle and two per adapter cycle.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BluezScanner } from "../../../drivers/ble/bluez.js";
import { loadNodeBle, type NodeBleModule, type NodeBleSession } from "../../../drivers/ble/node-ble.js";
import { BTHOME_UUID } from "../../../drivers/bthome/advertising.js";
import { SystemClock } from "../../../src/core/clock.js";
import { silentLogger } from "../../../src/core/log.js";
import { bluezMockAvailable, bluezMockForSuite } from "../../helpers/bluez-mock.js";
import { plainPress } from "../../helpers/bthome.js";
import { requireTool } from "../../helpers/tools.js";
import { waitFor } from "../../helpers/wait.js";

const present = bluezMockAvailable();

/** A scanner on the real node-ble whose bus connections the test can see. */
function scannerWithSessions(): { scanner: BluezScanner; sessions: NodeBleSession[]; adverts: number[] } {
  const real = loadNodeBle();
  const sessions: NodeBleSession[] = [];
  const adverts: number[] = [];
  const nodeBle: NodeBleModule = {
    ...real,
    createBluetooth: () => {
      const s = real.createBluetooth();
      sessions.push(s);
      return s;
    },
  };
  const scanner = new BluezScanner({
    consumer: { serviceUuid: BTHOME_UUID, advert: (a) => adverts.push(a.serviceData.length) },
    clock: new SystemClock(),
    log: silentLogger(),
    pollMs: 100,
    callTimeoutMs: 2000,
    backoff: { minMs: 100, maxMs: 200 },
    nodeBle,
  });
  return { scanner, sessions, adverts };
}

/** The unique bus name (":1.n") of a connection (dbus-next's MessageBus has it; our typing does not). */
function busName(session: NodeBleSession | undefined): string {
  const name = (session?.bluetooth.dbus as { name?: unknown } | undefined)?.name;
  expect(name).toMatch(/^:\d+\.\d+$/);
  return name as string;
}

/** The unique bus name of the scanner's one connection. */
function uniqueName(sessions: NodeBleSession[]): string {
  expect(sessions).toHaveLength(1);
  return busName(sessions[0]);
}

describe.runIf(present)("our D-Bus connection's match rules against a real dbus-daemon", () => {
  const bluez = bluezMockForSuite();
  const scanners: BluezScanner[] = [];
  let stats = false;

  beforeAll(async () => {
    // Debian's dbus-daemon has Debug.Stats; one built without it cannot count rules for us.
    stats = requireTool(
      "dbus-daemon with Debug.Stats",
      (await bluez.matchRules(":1.0").catch(() => undefined)) !== undefined,
      "this dbus-daemon has no org.freedesktop.DBus.Debug.Stats (built without --enable-stats)",
    );
  });

  afterEach(async () => {
    for (const s of scanners.splice(0)) await s.stop();
  });

  async function rules(name: string): Promise<number> {
    return (await bluez.matchRules(name)) ?? Number.NaN;
  }

  it("a watched device that comes and goes 25 times leaves the count where it was", async (ctx) => {
    if (!stats) ctx.skip();
    const mac = "AA:00:00:00:01:01";
    const { scanner, sessions } = scannerWithSessions();
    scanners.push(scanner);
    await scanner.start();
    const name = uniqueName(sessions);
    const counts: number[] = [];
    for (let i = 0; i < 25; i++) {
      const path = await bluez.addDevice(mac);
      await waitFor(`the device to be watched (cycle ${i})`, () => scanner.watching(mac));
      // Measured while watched: the watch's Get returned, so every earlier AddMatch/RemoveMatch of
      // this connection (sent before it, in order) has been handled by the daemon.
      counts.push(await rules(name));
      await bluez.removeDevice(path);
      await waitFor(`the device to be seen gone (cycle ${i})`, () => !scanner.watching(mac));
    }
    uniqueName(sessions); // still the one connection
    expect(counts[0]).toBeGreaterThanOrEqual(4); // object manager (2), adapter, device
    expect(counts).toEqual(counts.map(() => counts[0]));
  });

  it("the adapter removed and returned 8 times, and bluetoothd restarted 3 times, on one connection: flat", async (ctx) => {
    if (!stats) ctx.skip();
    const mac = "AA:00:00:00:01:02";
    const { scanner, sessions, adverts } = scannerWithSessions();
    scanners.push(scanner);
    await scanner.start();
    const name = uniqueName(sessions);
    const counts: number[] = [];
    const cycle = async (what: string) => {
      await waitFor(`scanning again after ${what}`, () => scanner.status().state === "scanning");
      const path = await bluez.addDevice(mac);
      await waitFor(`the device to be watched after ${what}`, () => scanner.watching(mac));
      counts.push(await rules(name));
      // The scanner hears through the re-made subscription: an advert arrives.
      const before = adverts.length;
      await bluez.advertise(path, plainPress(counts.length));
      await waitFor(`an advert after ${what}`, () => adverts.length > before);
    };
    await cycle("start");
    for (let i = 0; i < 8; i++) {
      await bluez.removeAdapter("hci0");
      await waitFor("the adapter to be seen gone", () => scanner.status().state === "absent");
      await bluez.addAdapter("hci0");
      await cycle(`adapter cycle ${i}`);
    }
    for (let i = 0; i < 3; i++) {
      await bluez.restartBluez();
      await waitFor("the loss to be seen", () => scanner.status().state !== "scanning");
      await bluez.addAdapter("hci0");
      await cycle(`bluetoothd restart ${i}`);
    }
    uniqueName(sessions);
    expect(scanner.status().acquisitions).toBe(12);
    expect(counts).toEqual(counts.map(() => counts[0]));
  });

  it("a scanner stopped and started 10 times leaves no connection and no rule behind", async (ctx) => {
    if (!stats) ctx.skip();
    const { scanner, sessions } = scannerWithSessions();
    scanners.push(scanner);
    const names: string[] = [];
    for (let i = 0; i < 10; i++) {
      await scanner.start();
      await waitFor("scanning", () => scanner.status().state === "scanning");
      names.push(busName(sessions.at(-1)));
      await scanner.stop();
    }
    expect(new Set(names).size).toBe(10);
    // A closed connection is gone from the bus, with every rule it held.
    for (const n of names) {
      await waitFor(`${n} to leave the bus`, async () =>
        bluez.matchRules(n).then(
          () => false,
          () => true,
        ),
      );
    }
  });
});
