import { HOUR_MS, MINUTE_MS } from "../core/time.js";

/** A kWh in watt-milliseconds: energy (kWh) over a time (ms) gives power (W). */
const WMS_PER_KWH = 1000 * HOUR_MS;
/**
 * The span the mean power is taken over. A register of 0.01 kWh moves once per 10 Wh: over an hour
 * that is 10 W, fine enough to tell a light (the evaluation's are 10–120 W) from the usual night, and
 * long enough that a compressor's run does not look like one.
 */
export const ENERGY_POWER_SPAN_MS = HOUR_MS;
/** A reading gap longer than this (a dropout) starts the span again. */
const MAX_GAP_MS = 15 * MINUTE_MS;

/**
 * What a home draws, from an electricity meter's energy register where it has no power register: the
 * mean power over the last hour. For the lights-left-on check only (night-lights.ts), which compares
 * the home's draw late in the evening with its usual night; a meter that reports power is read
 * directly, and its energy is ignored here.
 */
export class EnergyPower {
  /** Meters that report power: their energy is not needed. */
  readonly #withPower = new Set<string>();
  /** Per meter: readings of the energy total over the last span, oldest first. */
  readonly #history = new Map<string, { wall: number; kwh: number }[]>();

  /** The meter reports power itself. */
  powerSeen(device: string): void {
    this.#withPower.add(device);
    this.#history.delete(device);
  }

  /**
   * An energy total read at `wallMs`. Returns the mean power (W) over the last span once the readings
   * cover it, else undefined (the first hour, after a gap, a register that went back, a meter with power).
   */
  energy(device: string, wallMs: number, kwh: number): number | undefined {
    if (this.#withPower.has(device) || !Number.isFinite(kwh)) return undefined;
    let h = this.#history.get(device);
    if (!h) {
      h = [];
      this.#history.set(device, h);
    }
    const last = h[h.length - 1];
    if (last && (kwh < last.kwh || wallMs - last.wall > MAX_GAP_MS || wallMs <= last.wall)) h.length = 0;
    h.push({ wall: wallMs, kwh });
    // Keep the newest reading at or before the span's start, and everything after it.
    while (h.length > 1 && (h[1] as { wall: number }).wall <= wallMs - ENERGY_POWER_SPAN_MS) h.shift();
    const first = h[0] as { wall: number; kwh: number };
    const dt = wallMs - first.wall;
    if (dt < ENERGY_POWER_SPAN_MS) return undefined;
    return ((kwh - first.kwh) * WMS_PER_KWH) / dt;
  }
}
