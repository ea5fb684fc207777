import type { ButtonEvent, Channel, HealthChannel } from "./channels.js";

/**
 * What drivers hand to the agent. Drivers know nothing of MQTT, SQLite or detection: they call a
 * `ReadingSink` given to them by the composition root.
 */
export interface Reading {
  device: string;
  channel: Channel;
  value: number;
  /** Monotonic time of the reading (Clock.monotonicMs). */
  mono: number;
}

export interface ButtonPress {
  device: string;
  event: ButtonEvent;
  mono: number;
  /** BTHome packet id or encryption counter: repeated adverts of one press share it. */
  counter?: number;
}

/**
 * One measurement of a health monitor (blood pressure, weight, temperature, SpO2), already the
 * resident's (other users' readings never get here) and not seen before. Its values are sensitive:
 * never logged.
 */
export interface HealthReading {
  device: string;
  /** When it was measured (wall ms): the device's own time stamp, or when it was received. */
  atWallMs: number;
  /** The device's clock could not be trusted (never set, year 2000, in the future): `atWallMs` is the receive time. */
  receiveTime: boolean;
  values: { channel: HealthChannel; value: number }[];
  /** What the device itself flagged (irregular pulse, body movement, …), as it said it; never a diagnosis. */
  flags: string[];
  /** Monotonic time it was received. */
  mono: number;
}

export type DeviceAvailability = "online" | "offline";

export interface ReadingSink {
  readings(batch: readonly Reading[]): void;
  button(press: ButtonPress): void;
  /** A device answered again, or failed enough polls to be called offline. `reason` says why. */
  availability(device: string, state: DeviceAvailability, reason: string): void;
  /**
   * A receiver that devices report through (a BLE adapter) can or cannot hear them now. Reported
   * periodically, so the sink can tell how long it has been deaf.
   */
  receiver?(id: string, ok: boolean, detail: string, what?: ReceiverKind): void;
  /** A health monitor's measurement (only where the home opted in to health data). */
  health?(m: HealthReading): void;
}

/** What a receiver is, for the alert when it cannot hear; default: a BLE adapter. */
export interface ReceiverKind {
  sense: string;
  note: string;
}
