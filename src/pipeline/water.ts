import { HOUR_MS } from "../core/time.js";

/**
 * Water as a sign of a person, and the leak that is not one. Any rise of the cumulative volume by at
 * least the meter's resolution is activity. Flow that never pauses for longer than `gapMs` for
 * `leakAfterMs` is a leak (or a tap left running); while it lasts, only flow above the leak's own rate
 * counts as activity.
 */

export interface WaterModelOptions {
  /** Meter resolution (m³): 0.001 for a 1 L meter, 0.01 for a 10 L meter. */
  resolutionM3: number;
  leakAfterMs: number;
  /** Flow with pauses no longer than this is one continuous flow. */
  gapMs: number;
}

export type WaterVerdict =
  | { kind: "none" }
  | { kind: "activity"; usedM3: number }
  | { kind: "leak_started"; rateM3h: number; sinceMono: number };

export class WaterModel {
  readonly #o: WaterModelOptions;
  /** Total last counted as activity (or the first value seen). */
  #base = Number.NaN;
  #last = Number.NaN;
  #lastRiseMono = Number.NaN;
  /** Start of the current continuous flow: its monotonic time and the total then. */
  #flowStartMono = Number.NaN;
  #flowStartM3 = Number.NaN;
  /** While a leak is known: its rate (m³/ms) and the point the expected total is measured from. */
  #leakRate = 0;
  #leakRefMono = 0;
  #leakRefM3 = 0;
  #leaking = false;

  constructor(o: WaterModelOptions) {
    this.#o = o;
  }

  get leaking(): boolean {
    return this.#leaking;
  }

  leakRateM3h(): number {
    return this.#leakRate * HOUR_MS;
  }

  observe(totalM3: number, mono: number): WaterVerdict {
    const eps = this.#o.resolutionM3 * 1e-3;
    if (Number.isNaN(this.#last) || totalM3 < this.#last - eps) {
      // First value, or the meter was replaced/reset: start again from here.
      this.#base = totalM3;
      this.#last = totalM3;
      this.#flowStartMono = Number.NaN;
      return { kind: "none" };
    }
    const rose = totalM3 > this.#last + eps;
    const prevRise = this.#lastRiseMono;
    const prevTotal = this.#last;
    this.#last = totalM3;
    if (!rose) return { kind: "none" };
    this.#lastRiseMono = mono;
    if (Number.isNaN(this.#flowStartMono) || mono - prevRise > this.#o.gapMs) {
      // A new flow starts at the previous reading: the water ran between the two.
      this.#flowStartMono = Number.isNaN(prevRise) ? mono : Math.max(prevRise, mono - this.#o.gapMs);
      this.#flowStartM3 = prevTotal;
    }
    if (this.#leaking) {
      const expected = this.#leakRefM3 + this.#leakRate * (mono - this.#leakRefMono);
      const above = totalM3 - expected;
      if (above >= Math.max(this.#o.resolutionM3, 0.002) - eps) {
        this.#leakRefM3 = totalM3;
        this.#leakRefMono = mono;
        this.#base = totalM3;
        return { kind: "activity", usedM3: above };
      }
      if (above < 0) {
        this.#leakRefM3 = totalM3;
        this.#leakRefMono = mono;
      }
      this.#base = totalM3;
      return { kind: "none" };
    }
    if (mono - this.#flowStartMono >= this.#o.leakAfterMs) {
      this.#leaking = true;
      this.#leakRate = (totalM3 - this.#flowStartM3) / Math.max(1, mono - this.#flowStartMono);
      this.#leakRefM3 = totalM3;
      this.#leakRefMono = mono;
      this.#base = totalM3;
      return { kind: "leak_started", rateM3h: this.#leakRate * HOUR_MS, sinceMono: this.#flowStartMono };
    }
    const used = totalM3 - this.#base;
    if (used >= this.#o.resolutionM3 - eps) {
      this.#base = totalM3;
      return { kind: "activity", usedM3: used };
    }
    return { kind: "none" };
  }

  /** Called every minute: a leak is over once the flow has paused for longer than the gap. */
  leakEnded(mono: number): boolean {
    if (!this.#leaking || mono - this.#lastRiseMono <= this.#o.gapMs) return false;
    this.#leaking = false;
    this.#leakRate = 0;
    this.#flowStartMono = Number.NaN;
    return true;
  }
}
