import type { Channel } from "../core/channels.js";
import type { Reading } from "../core/readings.js";
import { HOUR_MS, MINUTE_MS } from "../core/time.js";
import { powerStepStrength, weightOf } from "./activity-weights.js";
import { PowerModel, type PowerModelState } from "./power.js";
import { WaterModel } from "./water.js";

/** A kWh in watt-milliseconds: energy (kWh) over a time (ms) gives power (W). */
const WMS_PER_KWH = 1000 * HOUR_MS;
/** After a power cut every load restarts at once: steps this long after it are not a person. */
const RESTART_QUIET_MS = 10 * MINUTE_MS;

/** Something that shows a person is up and about. */
export interface Activity {
  device: string;
  /** water, electricity, button, motion, door, occupancy */
  source: string;
  /** How sure we are it is a person: 1 for a button press, less for inferred activity (activity-weights.ts). */
  strength: number;
  mono: number;
  detail: string;
  /** A load switched off: machines do that by themselves (a kettle, a rice cooker, a washer's end). */
  switchedOff?: true;
}

export interface ActivityOptions {
  /** Until the home's machines are learned, a rise in power at least this big (W) counts. */
  powerStepW: number;
  /** Never count a power step below this (W). */
  minStepW: number;
  /** How long a meter is watched before its learned standby band and machines are trusted. */
  powerLearnMs: number;
  /** Smallest increase of a water total (m³) that counts: the meter's resolution. */
  waterResolutionM3: number;
  leakAfterMs: number;
  leakGapMs: number;
  /** Mains below this (V) is a power cut. */
  outageVoltageV: number;
  /** Without a power register, power is taken from energy deltas over at least this long. */
  energyWindowMs: number;
}

/** What the extractor tells its owner besides activity. */
export interface ActivityListener {
  leakStarted(device: string, rateM3h: number, sinceMono: number): void;
  leakEnded(device: string): void;
  outageStarted(device: string, voltage: number): void;
  outageEnded(device: string, voltage: number): void;
}

/** Which sense a channel belongs to, for a `monitoring_degraded` alert. */
export function senseOf(channel: Channel): string | undefined {
  switch (channel) {
    case "water_total_m3":
    case "water_flow_m3h":
      return "water";
    case "power_w":
    case "energy_total_kwh":
    case "voltage_v":
    case "current_a":
      return "electricity";
    case "motion":
    case "occupancy":
    case "door":
      return "ble_sensor";
    case "fall":
      return "fall_sensor";
    default:
      return undefined;
  }
}

/** Per device: the models and the little state the channels need. */
class DeviceSenses {
  power: PowerModel | undefined;
  water: WaterModel | undefined;
  /** Seen a power register: energy deltas are then only for the daily record. */
  hasPower = false;
  energyAnchorKwh = Number.NaN;
  energyAnchorWall = 0;
  /** Smallest rise of the energy total seen (kWh): the register's resolution. */
  energyQuantumKwh = Number.POSITIVE_INFINITY;
  /**
   * Largest step of the energy-derived power seen at night (W), slowly forgotten: what the fridge,
   * freezer and rounding do by themselves when averaged over a window. NaN until a night was seen.
   */
  nightStepW = Number.NaN;
  lastDerivedW = Number.NaN;
  outage = false;
  /** After a power cut every load restarts at once: steps before this (mono) are not a person. */
  quietUntilMono = 0;
  /** Last value of binary channels (motion, door, occupancy). */
  binary = new Map<string, number>();
}

/**
 * Activity from readings: water that moved beyond the meter's resolution (minus a known leak's own
 * flow), power steps outside the home's learned standby band and machine cycles (from the power
 * register, or from energy deltas where there is none), and BLE motion, door and occupancy sensors.
 * Power cuts and leaks are reported to the listener.
 */
export class ActivityExtractor {
  readonly #o: ActivityOptions;
  readonly #l: ActivityListener;
  /** Keyed by device id. */
  readonly #dev = new Map<string, DeviceSenses>();
  /** `#dev` in the order first seen, for the leak check every tick (a Map's iterator allocates). */
  readonly #seen: { device: string; senses: DeviceSenses }[] = [];
  /** Learned power models restored from the store before their device was seen, keyed by device. */
  readonly #restored = new Map<string, PowerModelState>();

  constructor(o: ActivityOptions, listener: ActivityListener) {
    this.#o = o;
    this.#l = listener;
  }

  /** Hands in a power model learned before a restart. */
  restorePower(device: string, s: PowerModelState): void {
    this.#restored.set(device, s);
  }

  /** The learned power models, keyed by device, for the store. */
  powerModels(): Map<string, PowerModel> {
    const out = new Map<string, PowerModel>();
    for (const [d, s] of this.#dev) if (s.power) out.set(d, s.power);
    return out;
  }

  /** Whether a device is in a power cut now. */
  inOutage(device: string): boolean {
    return this.#dev.get(device)?.outage ?? false;
  }

  /** Devices whose leak has ended (checked once a minute). */
  checkLeaks(mono: number): void {
    for (let i = 0; i < this.#seen.length; i++) {
      const w = this.#seen[i] as { device: string; senses: DeviceSenses };
      if (w.senses.water?.leakEnded(mono)) this.#l.leakEnded(w.device);
    }
  }

  /** `nightHour`: local time is between 00:00 and 05:00 (machines learned from those hours). */
  fromReading(r: Reading, wallMs: number, nightHour: boolean): Activity | undefined {
    let s = this.#dev.get(r.device);
    if (!s) {
      s = new DeviceSenses();
      this.#dev.set(r.device, s);
      this.#seen.push({ device: r.device, senses: s });
    }
    switch (r.channel) {
      case "water_total_m3": {
        s.water ??= new WaterModel({
          resolutionM3: this.#o.waterResolutionM3,
          leakAfterMs: this.#o.leakAfterMs,
          gapMs: this.#o.leakGapMs,
        });
        const v = s.water.observe(r.value, r.mono);
        if (v.kind === "activity")
          return {
            device: r.device,
            source: "water",
            strength: weightOf("water").strength,
            mono: r.mono,
            detail: `${Math.round(v.usedM3 * 1000)} L used`,
          };
        if (v.kind === "leak_started") this.#l.leakStarted(r.device, v.rateM3h, v.sinceMono);
        return undefined;
      }
      case "power_w":
        s.hasPower = true;
        return this.#power(s, r.device, r.value, r.mono, wallMs, nightHour);
      case "energy_total_kwh": {
        if (s.hasPower) return undefined;
        if (Number.isNaN(s.energyAnchorKwh) || r.value < s.energyAnchorKwh) {
          s.energyAnchorKwh = r.value;
          s.energyAnchorWall = wallMs;
          return undefined;
        }
        const dt = wallMs - s.energyAnchorWall;
        if (dt < this.#o.energyWindowMs) return undefined;
        const delta = r.value - s.energyAnchorKwh;
        if (delta > 1e-9 && delta < s.energyQuantumKwh) s.energyQuantumKwh = delta;
        const watts = (delta * WMS_PER_KWH) / dt;
        s.energyAnchorKwh = r.value;
        s.energyAnchorWall = wallMs;
        // A coarse register (0.01 kWh) makes a steady load look like steps of one quantum, and a
        // compressor running part of a window makes steps of any size below its own: only a step
        // above two quanta and above 1.5 × the largest step seen at night can be a person.
        const quantumW = Number.isFinite(s.energyQuantumKwh) ? (s.energyQuantumKwh * WMS_PER_KWH) / dt : 0;
        const step = Number.isNaN(s.lastDerivedW) ? 0 : Math.abs(watts - s.lastDerivedW);
        s.lastDerivedW = watts;
        if (nightHour) s.nightStepW = Number.isNaN(s.nightStepW) ? step : Math.max(s.nightStepW, step);
        else if (!Number.isNaN(s.nightStepW)) s.nightStepW *= 0.998;
        const floor = Math.max(2 * quantumW, Number.isNaN(s.nightStepW) ? 0 : 1.5 * s.nightStepW);
        return this.#power(s, r.device, watts, r.mono, wallMs, nightHour, floor);
      }
      case "voltage_v": {
        if (!s.outage && r.value < this.#o.outageVoltageV) {
          s.outage = true;
          s.power?.rebase();
          this.#l.outageStarted(r.device, r.value);
        } else if (s.outage && r.value >= this.#o.outageVoltageV) {
          s.outage = false;
          s.quietUntilMono = r.mono + RESTART_QUIET_MS;
          s.power?.rebase();
          this.#l.outageEnded(r.device, r.value);
        }
        return undefined;
      }
      case "motion":
      case "occupancy":
      case "door": {
        const prev = s.binary.get(r.channel);
        s.binary.set(r.channel, r.value);
        if (prev === undefined || r.value === prev) return undefined;
        if (r.channel !== "door" && r.value <= 0) return undefined;
        return {
          device: r.device,
          source: r.channel,
          strength: weightOf(r.channel).strength,
          mono: r.mono,
          detail: `${r.channel} ${r.value}`,
        };
      }
      default:
        return undefined;
    }
  }

  #power(
    s: DeviceSenses,
    device: string,
    watts: number,
    mono: number,
    wallMs: number,
    nightHour: boolean,
    floorW = 0,
  ): Activity | undefined {
    if (s.outage) return undefined;
    if (!s.power) {
      s.power = new PowerModel({
        coldStepW: this.#o.powerStepW,
        minStepW: this.#o.minStepW,
        learnForMs: this.#o.powerLearnMs,
      });
      const saved = this.#restored.get(device);
      if (saved) s.power.restore(saved);
    }
    const prev = s.power.lastW;
    const verdict = s.power.observe(watts, wallMs, nightHour);
    const step = watts - prev;
    if (verdict !== "person" || mono < s.quietUntilMono || Math.abs(step) <= floorW) return undefined;
    return {
      device,
      source: "electricity",
      strength: powerStepStrength(step),
      mono,
      detail: `power ${step > 0 ? "up" : "down"} ${Math.abs(step).toFixed(0)} W to ${watts.toFixed(0)} W`,
      ...(step < 0 ? { switchedOff: true as const } : {}),
    };
  }
}
