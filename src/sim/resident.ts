import { localParts } from "../contract/timestamps.js";
import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../core/time.js";

/**
 * A simulated person living alone, and the home's loads around them. Everything is a function of wall
 * time, so the same resident drives the demo (on an accelerated clock), the tests and the detection
 * evaluation.
 */
export interface Activity {
  /** Minutes after local midnight. */
  startMin: number;
  durationMin: number;
  /** Extra electrical load while it lasts (W). */
  powerW?: number;
  /** Water flow while it lasts (litres per minute). */
  waterLpm?: number;
  label: string;
}

/** A plain day: wake, kettle, wash, breakfast, lunch, TV, dinner, lights, bed. */
export const ORDINARY_DAY: readonly Activity[] = [
  { startMin: 6 * 60 + 40, durationMin: 6, waterLpm: 6, label: "toilet and wash" },
  { startMin: 6 * 60 + 50, durationMin: 4, powerW: 2000, label: "kettle" },
  { startMin: 7 * 60 + 5, durationMin: 20, powerW: 1200, label: "breakfast on the hob" },
  { startMin: 7 * 60 + 30, durationMin: 5, waterLpm: 5, label: "washing up" },
  { startMin: 9 * 60 + 30, durationMin: 90, powerW: 120, label: "radio and lights" },
  { startMin: 11 * 60 + 30, durationMin: 30, powerW: 1500, label: "cooking lunch" },
  { startMin: 12 * 60 + 10, durationMin: 6, waterLpm: 5, label: "washing up" },
  { startMin: 14 * 60, durationMin: 5, powerW: 2000, label: "kettle" },
  { startMin: 15 * 60, durationMin: 120, powerW: 150, label: "television" },
  { startMin: 17 * 60 + 30, durationMin: 30, powerW: 1500, label: "cooking dinner" },
  { startMin: 18 * 60 + 10, durationMin: 8, waterLpm: 5, label: "washing up" },
  { startMin: 19 * 60, durationMin: 150, powerW: 200, label: "television and lights" },
  { startMin: 21 * 60 + 30, durationMin: 10, waterLpm: 6, label: "shower" },
];

export interface ResidentOptions {
  timeZone: string;
  routine?: readonly Activity[];
  /** From this wall time on, the person does nothing at all (a fall, an illness). */
  incidentAtMs?: number;
  /** Always-on load: router, standby (W). */
  standbyW?: number;
  /** Fridge compressor: power while running (W), on-minutes and period (minutes). */
  fridge?: { powerW: number; onMin: number; periodMin: number };
}

export class SimulatedResident {
  readonly #o: Required<Omit<ResidentOptions, "incidentAtMs">> & { incidentAtMs?: number };
  constructor(o: ResidentOptions) {
    this.#o = {
      routine: ORDINARY_DAY,
      standbyW: 18,
      fridge: { powerW: 85, onMin: 12, periodMin: 40 },
      ...o,
    };
  }

  set incidentAtMs(ms: number | undefined) {
    if (ms === undefined) delete this.#o.incidentAtMs;
    else this.#o.incidentAtMs = ms;
  }

  /** The activities under way at this instant. */
  activeAt(wallMs: number): Activity[] {
    if (this.#o.incidentAtMs !== undefined && wallMs >= this.#o.incidentAtMs) return [];
    const { hour, minute } = localParts(wallMs, this.#o.timeZone);
    const secOfMin = Math.floor((wallMs / SECOND_MS) % 60);
    const min = hour * 60 + minute + secOfMin / 60;
    return this.#o.routine.filter((a) => min >= a.startMin && min < a.startMin + a.durationMin);
  }

  /** Electrical load of the home (W): standby, the fridge cycling, and what the person switched on. */
  powerW(wallMs: number): number {
    const f = this.#o.fridge;
    const minuteOfEpoch = Math.floor(wallMs / MINUTE_MS);
    const fridge = minuteOfEpoch % f.periodMin < f.onMin ? f.powerW : 0;
    return this.#o.standbyW + fridge + this.activeAt(wallMs).reduce((s, a) => s + (a.powerW ?? 0), 0);
  }

  waterLpm(wallMs: number): number {
    return this.activeAt(wallMs).reduce((s, a) => s + (a.waterLpm ?? 0), 0);
  }
}

/**
 * The home's two meters as counters: integrates the resident's power and water flow over time, so a
 * simulated meter reads plausible totals whenever it is polled.
 */
export class SimulatedMeters {
  #atMs: number;
  #energyKwh: number;
  #waterM3: number;
  constructor(
    private readonly resident: SimulatedResident,
    startMs: number,
    start: { energyKwh?: number; waterM3?: number } = {},
  ) {
    this.#atMs = startMs;
    this.#energyKwh = start.energyKwh ?? 1523.4;
    this.#waterM3 = start.waterM3 ?? 287.125;
  }

  /** Integrates in steps of at most 10 s of simulated time up to `wallMs`. */
  advanceTo(wallMs: number): void {
    while (this.#atMs < wallMs) {
      const step = Math.min(10 * SECOND_MS, wallMs - this.#atMs);
      const h = step / HOUR_MS;
      this.#energyKwh += (this.resident.powerW(this.#atMs) * h) / 1000;
      this.#waterM3 += (this.resident.waterLpm(this.#atMs) * step) / MINUTE_MS / 1000;
      this.#atMs += step;
    }
  }

  electricity(wallMs: number): {
    power_w: number;
    energy_total_kwh: number;
    voltage_v: number;
    current_a: number;
    frequency_hz: number;
  } {
    this.advanceTo(wallMs);
    const power = this.resident.powerW(wallMs);
    const voltage = 229.5 + Math.sin(wallMs / 600_000) * 1.5;
    return {
      power_w: power,
      energy_total_kwh: this.#energyKwh,
      voltage_v: voltage,
      current_a: power / voltage,
      frequency_hz: 50,
    };
  }

  water(wallMs: number): { water_total_m3: number } {
    this.advanceTo(wallMs);
    return { water_total_m3: this.#waterM3 };
  }
}
