/**
 * What the match-rule leak did on a gateway: the system bus caps the rules one connection may hold
 * (max_match_rules_per_connection), so with dbus-next never sending RemoveMatch, a device coming and
 * going often enough made AddMatch fail; the scanner then dropped its connection and was deaf until it
 * had reconnected. Here a private dbus-daemon with a cap of 16 rules, and a device that comes and goes
 * 40 times: the scanner keeps its one connection and hears the device every time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BluezScanner } from "../../../drivers/ble/bluez.js";
import { loadNodeBle, type NodeBleModule, type NodeBleSession } from "../../../drivers/ble/node-ble.js";
import { BTHOME_UUID } from "../../../drivers/bthome/advertising.js";
import { SystemClock } from "../../../src/core/clock.js";
import { bluezMockAvailable, bluezMockForSuite } from "../../helpers/bluez-mock.js";
import { plainPress } from "../../helpers/bthome.js";
import { captureLog } from "../../helpers/log-capture.js";
import { waitFor } from "../../helpers/wait.js";

const present = bluezMockAvailable();

describe.runIf(present)("a bus that caps match rules per connection at 16", () => {
  const bluez = bluezMockForSuite({ maxMatchRulesPerConnection: 16 });
  const scanners: BluezScanner[] = [];

  afterEach(async () => {
    for (const s of scanners.splice(0)) await s.stop();
  });

  it("a device that comes and goes 40 times is heard every time on one connection, with no D-Bus error", async () => {
    const real = loadNodeBle();
    const sessions: NodeBleSession[] = [];
    const nodeBle: NodeBleModule = {
      ...real,
      createBluetooth: () => {
        const s = real.createBluetooth();
        sessions.push(s);
        return s;
      },
    };
    const heard: string[] = [];
    const { log, lines } = captureLog();
    const scanner = new BluezScanner({
      consumer: { serviceUuid: BTHOME_UUID, advert: (a) => heard.push(a.mac) },
      clock: new SystemClock(),
      log,
      pollMs: 100,
      callTimeoutMs: 2000,
      backoff: { minMs: 100, maxMs: 200 },
      nodeBle,
    });
    scanners.push(scanner);
    await scanner.start();
    const mac = "AA:00:00:00:02:01";
    for (let i = 0; i < 40; i++) {
      const path = await bluez.addDevice(mac);
      await waitFor(`the device to be watched (cycle ${i})`, () => scanner.watching(mac), {
        detail: () => ({
          sessions: sessions.length,
          status: scanner.status(),
          log: lines.filter((l) => Number(l.level) >= 40).map((l) => l.msg),
        }),
      });
      const before = heard.length;
      await bluez.advertise(path, plainPress(i));
      await waitFor(`the advert of cycle ${i}`, () => heard.length > before);
      await bluez.removeDevice(path);
      await waitFor(`the device to be seen gone (cycle ${i})`, () => !scanner.watching(mac));
    }
    expect(lines.filter((l) => l.msg === "D-Bus error; reconnecting")).toEqual([]);
    expect(sessions).toHaveLength(1);
    expect(scanner.status()).toMatchObject({ state: "scanning", acquisitions: 1 });
  });
});
