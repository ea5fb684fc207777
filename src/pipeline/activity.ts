import type { Reading } from "../core/readings.js";

/** Something that shows a person is up and about. */
export interface Activity {
  device: string;
  /** water, electricity, button, motion, door, ... */
  source: string;
  /** How sure we are it is a person: 1 for a button press, less for inferred activity. */
  strength: number;
  mono: number;
  detail: string;
}

export interface ActivityOptions {
  /** A rise in power at least this big (W) counts as activity. */
  powerStepW: number;
  /** Smallest increase of a water total (m³) that counts: the meter's resolution. */
  waterResolutionM3: number;
}

/**
 * First-slice activity extraction: water that moved, a step up in power, a button, a motion or door
 * sensor. Keeps the last value per device and channel to see changes.
 */
export class ActivityExtractor {
  /** Last value seen, keyed by `device/channel`. */
  readonly #last = new Map<string, number>();
  constructor(private readonly options: ActivityOptions) {}

  fromReading(r: Reading): Activity | undefined {
    const key = `${r.device}/${r.channel}`;
    const prev = this.#last.get(key);
    this.#last.set(key, r.value);
    if (prev === undefined) return undefined;
    switch (r.channel) {
      case "water_total_m3": {
        const delta = r.value - prev;
        if (delta >= this.options.waterResolutionM3 - 1e-9) {
          return {
            device: r.device,
            source: "water",
            strength: 0.9,
            mono: r.mono,
            detail: `${(delta * 1000).toFixed(0)} L used`,
          };
        }
        if (delta < 0) this.#last.set(key, r.value);
        return undefined;
      }
      case "power_w": {
        const step = r.value - prev;
        if (step >= this.options.powerStepW) {
          return {
            device: r.device,
            source: "electricity",
            strength: 0.7,
            mono: r.mono,
            detail: `power up ${step.toFixed(0)} W to ${r.value.toFixed(0)} W`,
          };
        }
        return undefined;
      }
      case "motion":
      case "occupancy":
      case "door":
        if (r.value !== prev && (r.channel === "door" || r.value > 0)) {
          return {
            device: r.device,
            source: r.channel,
            strength: 0.9,
            mono: r.mono,
            detail: `${r.channel} ${r.value}`,
          };
        }
        return undefined;
      default:
        return undefined;
    }
  }
}
