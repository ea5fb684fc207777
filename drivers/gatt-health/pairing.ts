/**
 * Bonding a health device to the gateway (`hearth pair <mac>`), an installer's step with the device in
 * its pairing mode. BlueZ asks a registered Agent1 how to confirm a pairing; node-ble has none, so one is
 * exported here on node-ble's own bus (dbus-next), with capability NoInputNoOutput ("just works": health
 * devices have no keyboard and most no display). It accepts confirmations and service authorisations —
 * the installer is there and started this pairing — and refuses PIN and passkey entry. Once paired, the
 * device is marked Trusted so it reconnects without asking again.
 */
import { createRequire } from "node:module";
import { ErrorCode, errorMessage, HearthError } from "../../src/core/errors.js";
import { loadNodeBle, type NodeBleModule } from "../ble/node-ble.js";

const AGENT_PATH = "/org/hearth/pairing_agent";

type InterfaceCtor = (new (
  name: string,
) => object) & {
  configureMembers(members: {
    methods: Record<string, { inSignature?: string; outSignature?: string }>;
  }): void;
};
interface DbusNext {
  interface: { Interface: InterfaceCtor };
  DBusError: new (type: string, text: string) => Error;
}
interface ExportingBus {
  export(path: string, iface: object): void;
  unexport(path: string, iface?: object): void;
  getProxyObject(service: string, path: string): Promise<{ getInterface(name: string): ProxyIface }>;
}

/** The agent's answers (BlueZ Agent1 API, doc/org.bluez.Agent.rst), built on node-ble's dbus-next. */
function agentInterface(dbus: DbusNext, asked: string[]): object {
  const refuse = (what: string) => {
    // The reply BlueZ gets over D-Bus, not an error of ours: dbus-next sends a named D-Bus error only for
    // its own DBusError class, so this one cannot be a HearthError.
    const rejected = new dbus.DBusError(
      "org.bluez.Error.Rejected",
      `${what} is not supported by hearth pair`,
    );
    throw rejected;
  };
  class PairingAgent extends dbus.interface.Interface {
    Release(): void {
      asked.push("Release");
    }
    RequestPinCode(_device: string): string {
      asked.push("RequestPinCode");
      return refuse("PIN entry") as never;
    }
    DisplayPinCode(_device: string, _pin: string): void {
      asked.push("DisplayPinCode");
    }
    RequestPasskey(_device: string): number {
      asked.push("RequestPasskey");
      return refuse("passkey entry") as never;
    }
    DisplayPasskey(_device: string, _passkey: number, _entered: number): void {
      asked.push("DisplayPasskey");
    }
    RequestConfirmation(_device: string, _passkey: number): void {
      asked.push("RequestConfirmation");
    }
    RequestAuthorization(_device: string): void {
      asked.push("RequestAuthorization");
    }
    AuthorizeService(_device: string, _uuid: string): void {
      asked.push("AuthorizeService");
    }
    Cancel(): void {
      asked.push("Cancel");
    }
  }
  PairingAgent.configureMembers({
    methods: {
      Release: {},
      RequestPinCode: { inSignature: "o", outSignature: "s" },
      DisplayPinCode: { inSignature: "os" },
      RequestPasskey: { inSignature: "o", outSignature: "u" },
      DisplayPasskey: { inSignature: "ouq" },
      RequestConfirmation: { inSignature: "ou" },
      RequestAuthorization: { inSignature: "o" },
      AuthorizeService: { inSignature: "os" },
      Cancel: {},
    },
  });
  return new PairingAgent("org.bluez.Agent1");
}

type ProxyIface = Record<string, (...a: unknown[]) => Promise<unknown>>;

/** A method of a proxy interface; dbus-next builds them from introspection, so one may be missing. */
function call(iface: ProxyIface, name: string, ...args: unknown[]): Promise<unknown> {
  const fn = iface[name];
  if (!fn) throw new HearthError(`BlueZ offers no ${name}`, ErrorCode.DeviceException);
  return fn(...args);
}

export interface PairResult {
  mac: string;
  paired: boolean;
  trusted: boolean;
  /** What BlueZ asked the agent, in order (empty when the device paired without asking). */
  asked: string[];
}

/** Pairs and trusts `mac` on `adapter`; the device must be known to BlueZ (seen advertising) first. */
export async function pairDevice(
  mac: string,
  adapter: string,
  timeoutMs: number,
  nodeBle: NodeBleModule = loadNodeBle(),
): Promise<PairResult> {
  // The dbus-next node-ble itself uses: the agent must live on node-ble's bus.
  const require = createRequire(import.meta.url);
  const dbus = createRequire(require.resolve("node-ble"))("dbus-next") as DbusNext;
  const session = nodeBle.createBluetooth();
  const bus = session.bluetooth.dbus as unknown as ExportingBus;
  const asked: string[] = [];
  const agent = agentInterface(dbus, asked);
  bus.export(AGENT_PATH, agent);
  const deadline = Date.now() + timeoutMs;
  try {
    const manager = (await bus.getProxyObject("org.bluez", "/org/bluez")).getInterface(
      "org.bluez.AgentManager1",
    );
    await call(manager, "RegisterAgent", AGENT_PATH, "NoInputNoOutput");
    await call(manager, "RequestDefaultAgent", AGENT_PATH).catch(() => undefined);
    const a = await session.bluetooth.getAdapter(adapter);
    const name = `dev_${mac.toUpperCase().replace(/:/g, "_")}`;
    while (!(await a.devices()).map((m) => m.toUpperCase()).includes(mac.toUpperCase())) {
      if (Date.now() > deadline)
        throw new HearthError(
          `${mac} not seen on ${adapter}: put the device in its pairing mode, near the gateway`,
          ErrorCode.Timeout,
        );
      if (!(await a.isDiscovering())) await a.helper.callMethod("StartDiscovery").catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
    const path = `/org/bluez/${adapter}/${name}`;
    const obj = await bus.getProxyObject("org.bluez", path);
    const device = obj.getInterface("org.bluez.Device1");
    const props = obj.getInterface("org.freedesktop.DBus.Properties");
    const flag = async (name: string) =>
      ((await call(props, "Get", "org.bluez.Device1", name)) as { value: boolean }).value === true;
    if (!(await flag("Paired"))) {
      try {
        await call(device, "Pair");
      } catch (e) {
        throw new HearthError(`pairing ${mac} failed: ${errorMessage(e)}`, ErrorCode.DeviceException);
      }
    }
    await call(props, "Set", "org.bluez.Device1", "Trusted", nodeBle.variant("boolean", true));
    const result = {
      mac: mac.toUpperCase(),
      paired: await flag("Paired"),
      trusted: await flag("Trusted"),
      asked,
    };
    await call(manager, "UnregisterAgent", AGENT_PATH).catch(() => undefined);
    return result;
  } finally {
    bus.unexport(AGENT_PATH, agent);
    session.destroy();
  }
}
