import type { SerialLinePool } from "../../drivers/serial/pool.js";
import type { DeviceEntryOf, LoadedConfig } from "../config/devices.js";
import type { ReadingSink } from "../core/readings.js";
import type { KeyValueStore } from "../outbox/index.js";
import type { DeviceProfile, Protocol } from "../profiles/schema.js";
import type { AgentHost } from "./host.js";

export interface DriverContext {
  config: LoadedConfig;
  profiles: ReadonlyMap<string, DeviceProfile>;
  host: AgentHost;
  sink: ReadingSink;
  kv: KeyValueStore;
  /** The outbox's `durably`: what one advert or message writes, made durable with one fsync. */
  durably?: <T>(fn: () => T) => T;
}

/** What a protocol's driver factory gets: the context, and what the drivers of one agent share. */
export interface FactoryContext extends DriverContext {
  /**
   * The agent's one pool of serial lines, opened at the first call: meters of different protocols on
   * one RS-485 line take turns on it.
   */
  serialLines(): Promise<SerialLinePool>;
}

/** One device of a protocol, with its profile. */
export interface ProtocolDevice<P extends Protocol> {
  config: DeviceEntryOf<P>;
  profile: Extract<DeviceProfile, { protocol: P }>;
}

/** A running driver, as the agent stops it, reports it and asks it to forget a button's counter. */
export interface StartedDriver {
  /** Its key in `hearth status`'s drivers. */
  name: string;
  /** The key it is reported under inside `group` (the meters report as drivers.meters.<protocol>). */
  group?: string;
  stop(): Promise<void> | void;
  status?(): unknown;
  resetCounter?(device: string): boolean;
}

/** Starts the drivers of one protocol's devices (never called with none). */
export type DriverFactory<P extends Protocol> = (
  ctx: FactoryContext,
  devices: ProtocolDevice<P>[],
) => Promise<StartedDriver>;
