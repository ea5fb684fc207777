/**
 * `hearth scan ble` as the installer runs it: the built CLI (dist/) spawned with DBUS_SYSTEM_BUS_ADDRESS
 * pointing at a BlueZ impersonated by python-dbusmock, so node-ble's real code runs in the child while
 * the test plays the radio. Skips with the reason where dbus-daemon or python3-dbusmock are missing;
 * fails under CI=true.
 */
import { describe, expect, it } from "vitest";
import { encodeObjects, encodeServiceData } from "../../drivers/bthome/codec.js";
import { keyFromHex } from "../../drivers/bthome/encryption.js";
import type { ScanDevice } from "../../drivers/bthome/scan.js";
import { parseConfig } from "../../src/config/load.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { type BluezMock, bluezMockAvailable, bluezMockForSuite } from "../helpers/bluez-mock.js";
import { TEST_KEY } from "../helpers/bthome.js";
import { HEARTH_MAIN, startProgram } from "../helpers/cli.js";
import { sleep } from "../helpers/wait.js";

const run = bluezMockAvailable();
const KEY = TEST_KEY;

/** Starts the CLI against the mock bus; `state.exited` turns true once the child has gone. */
function hearth(args: string[], busAddress: string) {
  return startProgram(process.execPath, [HEARTH_MAIN, ...args], {
    env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: busAddress },
    timeoutMs: 30_000,
  });
}

/** Keeps advertising (every 100 ms, round robin) until the child exits: it must first see each device. */
async function airWhile(
  bluez: BluezMock,
  state: { exited: boolean },
  adverts: readonly { path: string; sd: Uint8Array }[],
): Promise<void> {
  while (!state.exited) {
    for (const a of adverts) await bluez.advertise(a.path, a.sd);
    await sleep(100);
  }
}

const advert = (
  objects: { id: number; value: number }[],
  enc?: { mac: string; counter: number },
): Uint8Array =>
  encodeServiceData(encodeObjects(objects), {
    triggerBased: true,
    ...(enc ? { key: keyFromHex(KEY), mac: enc.mac, counter: enc.counter } : {}),
  });

/** A whole home config around a `devices:` snippet, checked with the real profile catalogue. */
function validateSnippet(snippet: string) {
  const yaml = `version: 1
home: { id: home-0001, timezone: Asia/Shanghai }
state_dir: /tmp/hearth-scan-test
cloud:
  brokers:
    - url: mqtt://127.0.0.1:1883
${snippet}`;
  return parseConfig(yaml, "snippet.yaml", loadCatalogue().profiles);
}

describe.runIf(run)("hearth scan ble against a dbusmock BlueZ", () => {
  const bluez = bluezMockForSuite();

  it("--seconds 2: a JSON list with MAC, RSSI, encrypted flag, decoded values and last event", async () => {
    const plain = "B0:00:00:00:00:01";
    const keyed = "B0:00:00:00:00:02";
    const locked = "B0:00:00:00:00:03";
    const adverts = [
      {
        path: await bluez.addDevice(plain),
        sd: advert([
          { id: 0x00, value: 5 },
          { id: 0x01, value: 77 },
          { id: 0x3a, value: 1 },
        ]),
      },
      {
        path: await bluez.addDevice(keyed),
        sd: advert(
          [
            { id: 0x00, value: 9 },
            { id: 0x01, value: 55 },
            { id: 0x3a, value: 2 },
          ],
          { mac: keyed, counter: 9 },
        ),
      },
      {
        path: await bluez.addDevice(locked),
        sd: advert(
          [
            { id: 0x01, value: 33 },
            { id: 0x3a, value: 1 },
          ],
          { mac: locked, counter: 3 },
        ),
      },
    ];
    // --key is variadic: it goes last.
    const child = hearth(["scan", "ble", "--seconds", "2", "--key", `${keyed}=${KEY}`], bluez.address);
    await airWhile(bluez, child.state, adverts);
    const r = await child.done;
    expect(r.code, r.stderr).toBe(0);
    const { devices } = JSON.parse(r.stdout) as { devices: ScanDevice[] };
    const byMac = new Map(devices.map((d) => [d.mac, d]));
    expect([...byMac.keys()].sort()).toEqual([plain, keyed, locked]);
    expect(byMac.get(plain)).toMatchObject({
      encrypted: false,
      trigger_based: true,
      rssi: expect.any(Number),
      values: { battery: 77 },
      last_event: "press",
    });
    expect(byMac.get(plain)).not.toHaveProperty("problem");
    expect(byMac.get(keyed)).toMatchObject({
      encrypted: true,
      values: { battery: 55 },
      last_event: "double_press",
    });
    expect(byMac.get(locked)).toMatchObject({
      encrypted: true,
      values: {},
      problem: expect.stringMatching(/no bind key/),
    });
    expect(byMac.get(locked)).not.toHaveProperty("last_event");
    for (const d of devices) expect(d.adverts).toBeGreaterThanOrEqual(1);
  });

  it("--press: prints the pressed button's snippet, which validates as a config devices: entry", async () => {
    const beaconOnly = "B0:00:00:00:00:04";
    const pressed = "B0:00:00:00:00:05";
    const adverts = [
      {
        path: await bluez.addDevice(beaconOnly),
        sd: advert([
          { id: 0x00, value: 1 },
          { id: 0x3a, value: 0 },
        ]),
      },
      {
        path: await bluez.addDevice(pressed),
        sd: advert([
          { id: 0x00, value: 2 },
          { id: 0x3a, value: 1 },
        ]),
      },
    ];
    const child = hearth(["scan", "ble", "--press", "--seconds", "15"], bluez.address);
    await airWhile(bluez, child.state, adverts);
    const r = await child.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Heard press from ${pressed}`);
    expect(r.stdout).toContain(`mac: "${pressed}"`);
    const parsed = validateSnippet(r.stdout);
    if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join("\n"));
    expect(parsed.value.devices).toEqual([
      expect.objectContaining({ id: "call-button", profile: "shelly-blu-button1", mac: pressed }),
    ]);
    expect(parsed.value.devices[0]).not.toHaveProperty("key");
  });

  it("--press on an encrypted button with its --key: the snippet carries the key and validates", async () => {
    const mac = "B0:00:00:00:00:06";
    const path = await bluez.addDevice(mac);
    const sd = advert(
      [
        { id: 0x00, value: 3 },
        { id: 0x3a, value: 4 },
      ],
      { mac, counter: 17 },
    );
    const child = hearth(
      ["scan", "ble", "--press", "--seconds", "15", "--key", `${mac}=${KEY}`],
      bluez.address,
    );
    await airWhile(bluez, child.state, [{ path, sd }]);
    const r = await child.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Heard long_press from ${mac} (encrypted)`);
    const parsed = validateSnippet(r.stdout);
    if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join("\n"));
    expect(parsed.value.devices).toEqual([expect.objectContaining({ mac, key: KEY })]);
  });

  it("an adapter that is not there: exit 1 naming it, not an empty list that reads as 'no button in range'", async () => {
    // Bug: with the radio never listening, `scan ble` printed {"devices": []} and exited 0.
    const scan = await hearth(["scan", "ble", "--seconds", "1", "--adapter", "hci7"], bluez.address).done;
    expect(scan.code).toBe(1);
    expect(scan.stdout).toBe("");
    expect(scan.stderr).toMatch(/BLE scanning never started: adapter hci7 not present \(have: hci0\)/);
    const press = await hearth(
      ["scan", "ble", "--press", "--seconds", "1", "--adapter", "hci7"],
      bluez.address,
    ).done;
    expect(press.code).toBe(1);
    expect(press.stderr).toMatch(
      /No button press within 1 s\. BLE scanning never started: adapter hci7 not present/,
    );
  });

  it("no BlueZ on the system bus: exit 1 saying so", async () => {
    const r = await hearth(["scan", "ble", "--seconds", "1"], "unix:path=/nonexistent/hearth-test-bus").done;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/BLE scanning never started: system D-Bus connection failed: ENOENT/);
  });

  it("--press with no press in time exits 1 and says what it heard", async () => {
    const mac = "B0:00:00:00:00:07";
    const path = await bluez.addDevice(mac);
    const sd = advert([{ id: 0x3a, value: 1 }], { mac, counter: 1 });
    const child = hearth(["scan", "ble", "--press", "--seconds", "2"], bluez.address);
    await airWhile(bluez, child.state, [{ path, sd }]);
    const r = await child.done;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/No button press within 2 s\. Heard encrypted adverts from .*B0:00:00:00:00:07/);
  });
});
