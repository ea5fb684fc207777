/**
 * `hearth pair <mac>` against python-dbusmock's BlueZ: the agent is registered on node-ble's bus, the
 * device paired (Device1.Pair) and trusted. The mock pairs without asking the agent anything, so the
 * agent's answers (confirmation, refused passkey entry) are not exercised here: docs/HEALTH.md lists
 * bonding with a real device as untested.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { bluezMockAvailable, bluezMockForSuite } from "../helpers/bluez-mock.js";
import { HEARTH_MAIN, startProgram } from "../helpers/cli.js";

const present = bluezMockAvailable();
const require = createRequire(import.meta.url);
const dbus = require("dbus-next") as {
  systemBus(): {
    getProxyObject(
      s: string,
      p: string,
    ): Promise<{ getInterface(n: string): Record<string, (...a: unknown[]) => Promise<unknown>> }>;
    disconnect(): void;
  };
};

async function deviceFlag(path: string, name: string): Promise<unknown> {
  const bus = dbus.systemBus();
  try {
    const props = (await bus.getProxyObject("org.bluez", path)).getInterface(
      "org.freedesktop.DBus.Properties",
    );
    const v = (await props.Get?.("org.bluez.Device1", name)) as { value: unknown } | undefined;
    return v?.value;
  } finally {
    bus.disconnect();
  }
}

const pair = (...args: string[]) =>
  startProgram(process.execPath, [HEARTH_MAIN, "pair", ...args], { timeoutMs: 30_000 }).done;

describe.runIf(present)("hearth pair against a dbusmock BlueZ", () => {
  const bluez = bluezMockForSuite();

  it("pairs and trusts a device BlueZ has seen; prints the result as JSON, exit 0", async () => {
    const mac = "C0:AA:00:00:00:01";
    const path = await bluez.addDevice(mac, "A&D_UA-651BLE_1");
    expect(await deviceFlag(path, "Paired")).toBe(false);
    const r = await pair(mac.toLowerCase(), "--timeout", "5s");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ mac, paired: true, trusted: true });
    expect(await deviceFlag(path, "Paired")).toBe(true);
    expect(await deviceFlag(path, "Trusted")).toBe(true);
  });

  it("a device never seen: exit 1 saying to put it in pairing mode; a bad MAC: exit 2", async () => {
    const r = await pair("C0:AA:00:00:00:99", "--timeout", "1s");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not seen on hci0: put the device in its pairing mode/);
    const bad = await pair("not-a-mac");
    expect(bad.code).toBe(2);
  });
});
