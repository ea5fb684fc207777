import type { Protocol } from "../profiles/schema.js";
import type { DeviceConfig, HearthConfig } from "./schema.js";

/**
 * Which transport keys each protocol's devices need and allow. The one place these rules live: the
 * loader checks a config against them, and the typed entries below are derived from them, so a key
 * a protocol needs is never optional in its entry.
 */
export const DEVICE_KEYS = {
  modbus: { need: ["port", "unit_id"], allow: ["port", "unit_id", "baud", "parity", "poll"] },
  dlt645: { need: ["port", "address"], allow: ["port", "address", "baud", "parity", "poll"] },
  cjt188: { need: ["port", "address"], allow: ["port", "address", "baud", "parity", "poll"] },
  bthome: { need: ["mac"], allow: ["mac", "key", "insecure", "adapter", "heard_every"] },
  zigbee2mqtt: { need: ["ieee_address"], allow: ["ieee_address", "heard_every"] },
  gatt_health: { need: ["mac"], allow: ["mac", "adapter", "user_id", "heard_every"] },
} as const satisfies Record<
  Protocol,
  { need: readonly (keyof DeviceConfig)[]; allow: readonly (keyof DeviceConfig)[] }
>;

/** Every key that only some protocols take. */
export const TRANSPORT_KEYS: readonly (keyof DeviceConfig)[] = [
  "port",
  "baud",
  "parity",
  "unit_id",
  "address",
  "mac",
  "key",
  "insecure",
  "adapter",
  "poll",
  "ieee_address",
  "user_id",
  // Not for meters: Hearth polls them, and a poll that fails is degraded after detection.degraded_after.
  "heard_every",
];

type Need<P extends Protocol> = (typeof DEVICE_KEYS)[P]["need"][number];
type Allow<P extends Protocol> = (typeof DEVICE_KEYS)[P]["allow"][number];

/**
 * One device of a checked config, with its protocol (its profile's: the config names the profile, not
 * the protocol) and exactly the keys that protocol takes.
 */
export type DeviceEntryOf<P extends Protocol> = { protocol: P; id: string; profile: string } & {
  [K in Need<P>]: NonNullable<DeviceConfig[K]>;
} & { [K in Exclude<Allow<P>, Need<P>>]?: NonNullable<DeviceConfig[K]> };

export type DeviceEntry = { [P in Protocol]: DeviceEntryOf<P> }[Protocol];
export type ModbusEntry = DeviceEntryOf<"modbus">;
export type Dlt645Entry = DeviceEntryOf<"dlt645">;
export type Cjt188Entry = DeviceEntryOf<"cjt188">;
export type BthomeEntry = DeviceEntryOf<"bthome">;
export type Zigbee2mqttEntry = DeviceEntryOf<"zigbee2mqtt">;
export type GattHealthEntry = DeviceEntryOf<"gatt_health">;

/** A checked config: what the loader returns and the agent runs on. Its devices are typed per protocol. */
export type LoadedConfig = Omit<HearthConfig, "devices"> & { devices: DeviceEntry[] };

/** The keys a device of `protocol` needs and lacks. */
export function missingKeys(d: DeviceConfig, protocol: Protocol): (keyof DeviceConfig)[] {
  return DEVICE_KEYS[protocol].need.filter((k) => d[k] === undefined);
}

/** The keys a device carries that `protocol` does not take. */
export function foreignKeys(d: DeviceConfig, protocol: Protocol): (keyof DeviceConfig)[] {
  const allow: readonly (keyof DeviceConfig)[] = DEVICE_KEYS[protocol].allow;
  return TRANSPORT_KEYS.filter((k) => d[k] !== undefined && !allow.includes(k));
}

/**
 * A device as its protocol's entry, or undefined when it lacks a key the protocol needs (the
 * config check reports that). Keys the protocol does not take are left out.
 */
export function deviceEntry(d: DeviceConfig, protocol: Protocol): DeviceEntry | undefined {
  if (missingKeys(d, protocol).length > 0) return undefined;
  const entry: Record<string, unknown> = { protocol, id: d.id, profile: d.profile };
  for (const k of DEVICE_KEYS[protocol].allow) if (d[k] !== undefined) entry[k] = d[k];
  // Every key the protocol needs was just found present: this is what DeviceEntryOf<protocol> says.
  return entry as DeviceEntry;
}
