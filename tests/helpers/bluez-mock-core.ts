/**
 * A BlueZ impersonated on a private D-Bus: `dbus-daemon --session` started here, python-dbusmock's
 * bluez5 template on it (through tests/fixtures/dbusmock-bluez.py, which declares the signals dbusmock's
 * introspection leaves out), and DBUS_SYSTEM_BUS_ADDRESS pointed at it so node-ble's real code talks
 * to the mock as if it were the system's bluetoothd. Shared by the driver tests (tests/drivers/ble), the
 * agent's BLE integration test and the CLI scan test (through bluez-mock.ts), and the footprint bench
 * (this module loads no vitest, so a bench run outside vitest can use it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BTHOME_UUID } from "../../drivers/bthome/advertising.js";
import { dbusMockTools, startPrivateBus, stopProcesses } from "./private-bus.js";
import { requireTool } from "./tools.js";
import { waitFor } from "./wait.js";

const require = createRequire(import.meta.url);
// dbus-next comes with node-ble; the test plays the radio through it.
const dbus = require("dbus-next") as {
  systemBus(): Bus;
  Variant: new (signature: string, value: unknown) => unknown;
};

interface Iface {
  [method: string]: (...args: unknown[]) => Promise<unknown>;
}
interface Bus {
  getProxyObject(service: string, path: string): Promise<{ getInterface(name: string): Iface }>;
  disconnect(): void;
}

export function haveDbusTools(): { ok: boolean; why: string } {
  return dbusMockTools("dbusmock.templates.bluez5");
}

/** Whether tests that need the mock BlueZ run here; under CI=true missing tools fail instead of skipping. */
export function bluezMockAvailable(): boolean {
  const tools = haveDbusTools();
  return requireTool("dbus-daemon + python3-dbusmock", tools.ok, tools.why);
}

export interface BluezMockOptions {
  /**
   * The bus's limit of match rules per connection (the system bus has one too); default: the session
   * bus's own, which is far beyond what a test reaches.
   */
  maxMatchRulesPerConnection?: number;
}

/** A session-bus configuration with one limit changed. */
function busConfig(maxMatchRules: number): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=${tmpdir()}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_match_rules_per_connection">${maxMatchRules}</limit>
</busconfig>
`;
}

export class BluezMock {
  #daemon: ChildProcess | undefined;
  #mock: ChildProcess | undefined;
  #bus: Bus | undefined;
  #configDir: string | undefined;
  readonly #options: BluezMockOptions;
  address = "";

  constructor(options: BluezMockOptions = {}) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const busArgs = ["--session"];
    const limit = this.#options.maxMatchRulesPerConnection;
    if (limit !== undefined) {
      this.#configDir = mkdtempSync(join(tmpdir(), "hearth-dbus-"));
      const config = join(this.#configDir, "bus.conf");
      writeFileSync(config, busConfig(limit));
      busArgs[0] = `--config-file=${config}`;
    }
    const bus = await startPrivateBus(busArgs);
    this.#daemon = bus.daemon;
    this.address = bus.address;
    await this.#startMock();
  }

  /** Kills the fake bluetoothd and starts a new one (no adapters), as a `systemctl restart bluetooth`. */
  async restartBluez(): Promise<void> {
    await stopProcesses([this.#mock]);
    await this.#startMock();
  }

  async #startMock(): Promise<void> {
    this.#mock = spawn(
      "/usr/bin/python3",
      [
        join(dirname(fileURLToPath(import.meta.url)), "../fixtures/dbusmock-bluez.py"),
        "--system",
        "-t",
        "bluez5",
      ],
      {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: this.address },
      },
    );
    this.#bus ??= dbus.systemBus();
    await waitFor("the bluez mock on the bus", async () => {
      try {
        await this.#mockIface();
        return true;
      } catch {
        return false;
      }
    });
  }

  async stop(): Promise<void> {
    this.#bus?.disconnect();
    await stopProcesses([this.#mock, this.#daemon]);
    if (this.#configDir) rmSync(this.#configDir, { recursive: true, force: true });
  }

  async #mockIface(): Promise<Iface> {
    const root = await (this.#bus as Bus).getProxyObject("org.bluez", "/");
    return root.getInterface("org.bluez.Mock");
  }

  async addAdapter(name = "hci0"): Promise<void> {
    await (await this.#mockIface()).AddAdapter?.(name, "hearth-test");
  }

  async removeAdapter(name = "hci0"): Promise<void> {
    await (await this.#mockIface()).RemoveAdapterWithDevices?.(name);
  }

  async addDevice(mac: string, name = "SBBT-002C", adapter = "hci0"): Promise<string> {
    return (await (await this.#mockIface()).AddDevice?.(adapter, mac, name)) as string;
  }

  /** BlueZ forgets a device (Adapter1.RemoveDevice): InterfacesRemoved goes out, as when it times out. */
  async removeDevice(devicePath: string, adapter = "hci0"): Promise<void> {
    const obj = await (this.#bus as Bus).getProxyObject("org.bluez", `/org/bluez/${adapter}`);
    await obj.getInterface("org.bluez.Adapter1").RemoveDevice?.(devicePath);
  }

  /**
   * How many match rules the bus holds for one connection (by unique name), from the daemon's
   * Debug.Stats interface; undefined when this dbus-daemon was built without it.
   */
  async matchRules(uniqueName: string): Promise<number | undefined> {
    const obj = await (this.#bus as Bus).getProxyObject("org.freedesktop.DBus", "/org/freedesktop/DBus");
    let stats: Iface;
    try {
      stats = obj.getInterface("org.freedesktop.DBus.Debug.Stats");
    } catch {
      return undefined;
    }
    const all = (await stats.GetConnectionStats?.(uniqueName)) as Record<string, { value: unknown }>;
    const n = all.MatchRules?.value;
    return typeof n === "number" ? n : undefined;
  }

  async #props(path: string): Promise<Iface> {
    return (await (this.#bus as Bus).getProxyObject("org.bluez", path)).getInterface(
      "org.freedesktop.DBus.Properties",
    );
  }

  /** One advertising report: sets the device's ServiceData (the standard Properties.Set; see fixture). */
  async advertise(devicePath: string, serviceData: Uint8Array): Promise<void> {
    const value = new dbus.Variant("a{sv}", {
      [BTHOME_UUID]: new dbus.Variant("ay", Buffer.from(serviceData)),
    });
    await (await this.#props(devicePath)).Set?.("org.bluez.Device1", "ServiceData", value);
  }

  async adapterProp(name: string, adapter = "hci0"): Promise<unknown> {
    const v = (await (await this.#props(`/org/bluez/${adapter}`)).Get?.("org.bluez.Adapter1", name)) as {
      value: unknown;
    };
    return v.value;
  }

  async stopDiscovery(adapter = "hci0"): Promise<void> {
    const obj = await (this.#bus as Bus).getProxyObject("org.bluez", `/org/bluez/${adapter}`);
    await obj.getInterface("org.bluez.Adapter1").StopDiscovery?.();
  }

  async setPowered(on: boolean, adapter = "hci0"): Promise<void> {
    await (await this.#props(`/org/bluez/${adapter}`)).Set?.(
      "org.bluez.Adapter1",
      "Powered",
      new dbus.Variant("b", on),
    );
  }
}
