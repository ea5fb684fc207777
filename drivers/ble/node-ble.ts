/**
 * The slice of node-ble (and the dbus-next bus under it) this driver uses, typed here because node-ble's
 * own typings omit the bus and the property helper. Loaded lazily with `createRequire`: node-ble is
 * CommonJS, and the agent without BLE (simulated home, meters only) never needs D-Bus.
 */
import { createRequire } from "node:module";
import { fixMatchRules, type MatchRuleFix, type MessageCtor } from "./dbus-match-rules.js";

export interface DbusVariant {
  signature: string;
  value: unknown;
}

export interface ProxyInterfaceLike {
  on(event: string, listener: (...args: unknown[]) => void): void;
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
}

export interface MessageBusLike {
  getProxyObject(service: string, path: string): Promise<{ getInterface(name: string): ProxyInterfaceLike }>;
  on(event: "error", listener: (err: unknown) => void): void;
  disconnect(): void;
}

export interface BusHelperLike {
  on(event: "PropertiesChanged", listener: (changed: Record<string, DbusVariant>) => void): void;
  removeListeners(): void;
  prop(name: string): Promise<unknown>;
  set(name: string, value: DbusVariant): Promise<void>;
  callMethod(name: string, ...args: unknown[]): Promise<unknown>;
}

export interface NodeBleAdapter {
  helper: BusHelperLike;
  isPowered(): Promise<boolean>;
  isDiscovering(): Promise<boolean>;
  devices(): Promise<string[]>;
  getDevice(mac: string): Promise<NodeBleDevice>;
}

export interface NodeBleDevice {
  helper: BusHelperLike;
  getServiceData(): Promise<Record<string, unknown>>;
}

export interface NodeBleSession {
  bluetooth: {
    dbus: MessageBusLike;
    adapters(): Promise<string[]>;
    getAdapter(name: string): Promise<NodeBleAdapter>;
  };
  destroy(): void;
}

export interface NodeBleModule {
  createBluetooth(): NodeBleSession;
  variant(type: "string" | "boolean" | "uint16" | "int16", value: unknown): DbusVariant;
  /** What was done to dbus-next's match-rule leak at load (./dbus-match-rules.ts); absent in stand-ins. */
  matchRules?: MatchRuleFix;
}

let loaded: NodeBleModule | undefined;

export function loadNodeBle(): NodeBleModule {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  // node-ble's classes carry more than its typings say (bus, helper); the interfaces above are what we use.
  const nodeBle = require("node-ble") as { createBluetooth(): NodeBleSession };
  const buildTypedValue = require("node-ble/src/buildTypedValue.js") as (
    t: string,
    v: unknown,
  ) => DbusVariant;
  const matchRules = fixNodeBleMatchRules(require);
  loaded = {
    createBluetooth: () => nodeBle.createBluetooth(),
    variant: (t, v) => buildTypedValue(t, v),
    matchRules,
  };
  return loaded;
}

/**
 * Patches the dbus-next that node-ble itself resolves, wherever npm placed it, so that the class patched
 * is the one node-ble uses. A dbus-next laid out otherwise is left alone ("unknown"): BLE still works,
 * only the leak stays.
 */
function fixNodeBleMatchRules(require: NodeJS.Require): MatchRuleFix {
  try {
    const fromNodeBle = createRequire(require.resolve("node-ble"));
    const MessageBus = fromNodeBle("dbus-next/lib/bus.js") as { prototype?: unknown };
    const { Message } = fromNodeBle("dbus-next") as { Message?: unknown };
    if (typeof MessageBus.prototype !== "object" || MessageBus.prototype === null) return "unknown";
    if (typeof Message !== "function") return "unknown";
    return fixMatchRules(MessageBus.prototype, Message as MessageCtor);
  } catch {
    return "unknown";
  }
}
