/**
 * A simulated GATT health peripheral on python-dbusmock's BlueZ (tests/helpers/bluez-mock.ts): the
 * bluez5 template has no GATT, so the GattService1 / GattCharacteristic1 objects are made here with the
 * mock's AddObject, Connect/Disconnect replaced (with AddMethod) to also set ServicesResolved, and an
 * indication is a PropertiesChanged(Value) sent with the mock's EmitSignal once the gateway has called
 * StartNotify. node-ble's real code talks to it.
 */
import { createRequire } from "node:module";
import { type HealthService, SERVICE_UUID16, uuid128 } from "../../drivers/gatt-health/characteristics.js";
import { waitFor } from "./wait.js";

const require = createRequire(import.meta.url);
const dbus = require("dbus-next") as {
  systemBus(): Bus;
  Variant: new (signature: string, value: unknown) => unknown;
};
type Iface = Record<string, (...args: unknown[]) => Promise<unknown>>;
interface Bus {
  getProxyObject(service: string, path: string): Promise<{ getInterface(name: string): Iface }>;
  disconnect(): void;
}

const MOCK = "org.freedesktop.DBus.Mock";
const DEVICE = "org.bluez.Device1";
const CHAR = "org.bluez.GattCharacteristic1";
const V = (sig: string, value: unknown) => new dbus.Variant(sig, value);

function setProps(iface: string, props: Record<string, string>): string {
  // Python lines that set each property and send one PropertiesChanged for them all.
  const sets = Object.entries(props)
    .map(([k, v]) => `self.props['${iface}']['${k}'] = ${v}`)
    .join("\n");
  const changed = Object.entries(props)
    .map(([k, v]) => `'${k}': ${v}`)
    .join(", ");
  return `${sets}\nself.EmitSignal('org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}as', ['${iface}', {${changed}}, []])`;
}

const CONNECT = `self.connected = True\n${setProps(DEVICE, { Connected: "dbus.Boolean(True, variant_level=1)" })}\n${setProps(DEVICE, { ServicesResolved: "dbus.Boolean(True, variant_level=1)" })}`;
const DISCONNECT = `self.connected = False\n${setProps(DEVICE, { ServicesResolved: "dbus.Boolean(False, variant_level=1)", Connected: "dbus.Boolean(False, variant_level=1)" })}`;
const CONNECT_FAILS =
  "raise dbus.exceptions.DBusException('le-connection-abort-by-local', name='org.bluez.Error.Failed')";

export class GattPeripheral {
  readonly #bus: Bus;
  readonly devicePath: string;
  readonly #chars = new Map<string, string>();
  readonly service: HealthService;

  private constructor(bus: Bus, devicePath: string, service: HealthService) {
    this.#bus = bus;
    this.devicePath = devicePath;
    this.service = service;
  }

  /**
   * A health device under `devicePath` (made with BluezMock.addDevice) with one service and its
   * measurement characteristics (16-bit UUIDs), each indicate-able.
   */
  static async install(
    devicePath: string,
    service: HealthService,
    characteristics: string[],
  ): Promise<GattPeripheral> {
    const bus = dbus.systemBus();
    const p = new GattPeripheral(bus, devicePath, service);
    const dev = await p.#mock(devicePath);
    await dev.AddMethod?.(DEVICE, "Connect", "", "", CONNECT);
    await dev.AddMethod?.(DEVICE, "Disconnect", "", "", DISCONNECT);
    const svcPath = `${devicePath}/service0010`;
    await dev.AddObject?.(
      svcPath,
      "org.bluez.GattService1",
      {
        UUID: V("s", uuid128(SERVICE_UUID16[service])),
        Primary: V("b", true),
        Device: V("o", devicePath),
      },
      [],
    );
    let handle = 0x11;
    for (const c of characteristics) {
      const path = `${svcPath}/char${handle.toString(16).padStart(4, "0")}`;
      handle += 3;
      await dev.AddObject?.(
        path,
        CHAR,
        {
          UUID: V("s", uuid128(c)),
          Service: V("o", svcPath),
          Value: V("ay", Buffer.alloc(0)),
          Notifying: V("b", false),
          Flags: V("as", ["indicate"]),
        },
        [
          ["StartNotify", "", "", setProps(CHAR, { Notifying: "dbus.Boolean(True, variant_level=1)" })],
          ["StopNotify", "", "", setProps(CHAR, { Notifying: "dbus.Boolean(False, variant_level=1)" })],
          ["ReadValue", "a{sv}", "ay", `ret = self.props['${CHAR}']['Value']`],
        ],
      );
      p.#chars.set(c, path);
    }
    return p;
  }

  async #mock(path: string): Promise<Iface> {
    return (await this.#bus.getProxyObject("org.bluez", path)).getInterface(MOCK);
  }

  async #props(path: string): Promise<Iface> {
    return (await this.#bus.getProxyObject("org.bluez", path)).getInterface(
      "org.freedesktop.DBus.Properties",
    );
  }

  /** One advertising report: the device's RSSI changes (as BlueZ reports each report with DuplicateData). */
  async advertise(rssi = -60): Promise<void> {
    await (await this.#props(this.devicePath)).Set?.(DEVICE, "RSSI", V("n", rssi));
  }

  async connected(): Promise<boolean> {
    const v = (await (await this.#props(this.devicePath)).Get?.(DEVICE, "Connected")) as { value: boolean };
    return v.value;
  }

  async notifying(characteristic: string): Promise<boolean> {
    const path = this.#chars.get(characteristic) as string;
    const v = (await (await this.#props(path)).Get?.(CHAR, "Notifying")) as { value: boolean };
    return v.value;
  }

  async waitNotifying(characteristic: string): Promise<void> {
    await waitFor(`StartNotify on ${characteristic}`, () => this.notifying(characteristic));
  }

  /** One indication of `characteristic` with `value`. */
  async indicate(characteristic: string, value: Uint8Array): Promise<void> {
    const path = this.#chars.get(characteristic);
    if (!path) throw new Error(`no characteristic ${characteristic}`);
    await (await this.#mock(path)).EmitSignal?.(
      "org.freedesktop.DBus.Properties",
      "PropertiesChanged",
      "sa{sv}as",
      // The mock's EmitSignal takes its arguments as an array of variants.
      [V("s", CHAR), V("a{sv}", { Value: V("ay", Buffer.from(value)) }), V("as", [])],
    );
  }

  /** The device drops the link (out of range, battery, its own time-out). */
  async dropLink(): Promise<void> {
    await (await this.#mock(this.devicePath)).AddMethod?.(DEVICE, "Disconnect", "", "", DISCONNECT);
    const dev = (await this.#bus.getProxyObject("org.bluez", this.devicePath)).getInterface(DEVICE);
    await dev.Disconnect?.();
  }

  /** Connect fails (true) or works (false) from now on. */
  async failConnect(fail: boolean): Promise<void> {
    await (await this.#mock(this.devicePath)).AddMethod?.(
      DEVICE,
      "Connect",
      "",
      "",
      fail ? CONNECT_FAILS : CONNECT,
    );
  }

  close(): void {
    this.#bus.disconnect();
  }
}
