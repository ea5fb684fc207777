import { isoWithOffset } from "../contract/timestamps.js";
import { channelUnit } from "../core/channels.js";
import type { DeviceAvailability, Reading } from "../core/readings.js";
import { senseOf } from "./activity.js";

export interface DeviceSnapshot {
  availability: DeviceAvailability | "unknown";
  last: Record<string, { value: number; unit: string; at: string }>;
}

/** Per device: availability, last values, and when a reading last came. */
export interface DeviceRecord {
  readonly id: string;
  availability: DeviceAvailability | "unknown";
  last: Map<string, { value: number; wallMs: number }>;
  /** NaN until a reading came (or the device was expected from the start). */
  lastReadingMono: number;
  /** The sense its readings belong to, from its first reading that names one. */
  sense: string | undefined;
  /** First and last counter values of the local day, for the daily record. */
  water0: number;
  water1: number;
  energy0: number;
  energy1: number;
}

/** Water and energy used since the last call; undefined where no meter counted. */
export interface DayUse {
  waterM3: number | undefined;
  energyKwh: number | undefined;
}

/**
 * Every device the pipeline has heard of (or expects), in the order first heard of: what each
 * reported last, whether it is online, and its meter totals over the local day.
 */
export class DeviceRegistry {
  /** Keyed by device id. */
  readonly #devices = new Map<string, DeviceRecord>();
  /** The same records in the order first heard of: gone over every minute, without a Map's iterator. */
  readonly #list: DeviceRecord[] = [];

  /** The device's record, made on first mention. */
  get(id: string): DeviceRecord {
    let s = this.#devices.get(id);
    if (!s) {
      s = {
        id,
        availability: "unknown",
        last: new Map(),
        lastReadingMono: Number.NaN,
        sense: undefined,
        water0: Number.NaN,
        water1: Number.NaN,
        energy0: Number.NaN,
        energy1: Number.NaN,
      };
      this.#devices.set(id, s);
      this.#list.push(s);
    }
    return s;
  }

  /** Every device's record, in the order first heard of. */
  list(): readonly DeviceRecord[] {
    return this.#list;
  }

  /** Takes one reading in: its value, when it came, its sense and the day's meter totals. */
  record(r: Reading, wallMs: number): void {
    const dev = this.get(r.device);
    if (!(dev.lastReadingMono >= r.mono)) dev.lastReadingMono = r.mono;
    dev.sense ??= senseOf(r.channel);
    const slot = dev.last.get(r.channel);
    if (slot) {
      slot.value = r.value;
      slot.wallMs = wallMs;
    } else dev.last.set(r.channel, { value: r.value, wallMs });
    if (r.channel === "water_total_m3") {
      if (Number.isNaN(dev.water0)) dev.water0 = r.value;
      dev.water1 = r.value;
    } else if (r.channel === "energy_total_kwh") {
      if (Number.isNaN(dev.energy0)) dev.energy0 = r.value;
      dev.energy1 = r.value;
    }
  }

  /** Sets a device's availability; false if it already was in that state. */
  setAvailability(id: string, state: DeviceAvailability): boolean {
    const d = this.get(id);
    if (d.availability === state) return false;
    d.availability = state;
    return true;
  }

  /** Water and energy used by all meters since the last call, which starts the next day's count. */
  takeDayUse(): DayUse {
    let water = 0;
    let energy = 0;
    let haveWater = false;
    let haveEnergy = false;
    for (const d of this.#devices.values()) {
      if (!Number.isNaN(d.water0)) {
        water += d.water1 - d.water0;
        haveWater = true;
      }
      if (!Number.isNaN(d.energy0)) {
        energy += d.energy1 - d.energy0;
        haveEnergy = true;
      }
      d.water0 = d.water1;
      d.energy0 = d.energy1;
    }
    return { waterM3: haveWater ? water : undefined, energyKwh: haveEnergy ? energy : undefined };
  }

  /** What each device reported last, with units and wall times in the home's zone. */
  snapshots(timeZone: string): Record<string, DeviceSnapshot> {
    const out: Record<string, DeviceSnapshot> = {};
    for (const [id, d] of this.#devices) {
      const last: DeviceSnapshot["last"] = {};
      for (const [ch, v] of d.last)
        last[ch] = {
          value: v.value,
          unit: channelUnit(ch as Reading["channel"]),
          at: isoWithOffset(v.wallMs, timeZone),
        };
      out[id] = { availability: d.availability, last };
    }
    return out;
  }
}
