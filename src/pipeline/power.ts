import { DAY_MS, HOUR_MS } from "../core/time.js";

/**
 * Electricity as a sign of a person: steps in power (switching on, and off), minus the steps the home
 * makes by itself.
 *
 * Two things are learned per meter: the standby noise band (how much power wanders with nobody doing
 * anything), so that steps inside it are ignored, and the periodic machines (fridge and freezer
 * compressors) — step sizes that recur many times a day *and* in the small hours, when people sleep.
 * Steps (both edges) are grouped into logarithmic size classes (12 % wide); a class (with its neighbours) seen
 * often overall and at night is a machine. Until a meter has a day of history, only steps of at least
 * `coldStepW` count, which is above a fridge.
 */

export interface PowerModelOptions {
  /** Before anything is learned, and for steps of unknown class, at least this (W) counts. */
  coldStepW: number;
  /** Never count a step smaller than this (W), however quiet the meter. */
  minStepW: number;
  /** How long the model watches before trusting what it learned (ms). */
  learnForMs: number;
}

/** What the model keeps, as plain data, so it survives a restart (kv store). */
export interface PowerModelState {
  v: 1;
  /** Typical size of a reading-to-reading wiggle with nothing switched (W). */
  noiseW: number;
  /** Decayed count of up-steps per size class (time constant `TAU_MS`). */
  all: Record<string, number>;
  /** The same, for steps between 00:00 and 05:00 local time only. */
  night: Record<string, number>;
  /** Decay reference time per class (wall ms). */
  at: Record<string, number>;
  /** Monotonic-independent learning age: ms of readings seen. */
  seenMs: number;
  /** Classes taken for machines at the time of saving (their hysteresis). */
  machine?: number[];
}

const CLASS_WIDTH = Math.log(1.12);
const TAU_MS = 2 * DAY_MS;
/** A machine class: at least this decayed count of edges overall (≈ 4 cycles a day over two days)… */
const MACHINE_ALL = 16;
/** …and at night (≈ 2 cycles a night, where a person's light at the toilet is rarer). */
const MACHINE_NIGHT = 8;

export function stepClass(w: number): number {
  return Math.floor(Math.log(Math.max(1, w)) / CLASS_WIDTH);
}

export type StepVerdict = "none" | "noise" | "machine" | "person";

export class PowerModel {
  readonly #o: PowerModelOptions;
  #noiseW = 2;
  /** Decayed counts, indexed by size class. Plain arrays: this runs for every reading. */
  readonly #all = new Float64Array(128);
  readonly #night = new Float64Array(128);
  readonly #at = new Float64Array(128);
  /** Classes currently taken for machines (1), for the hysteresis of `#isMachine`. */
  readonly #machine = new Uint8Array(128);
  #seenMs = 0;
  #last = Number.NaN;
  #lastWall = Number.NaN;
  /** Typical step (W) of each machine (the most frequent class of each run of machine classes). */
  #peaks: number[] = [];
  #peaksAt = 0;

  constructor(o: PowerModelOptions) {
    this.#o = o;
  }

  /** The previous reading (W), NaN when there is none. */
  get lastW(): number {
    return this.#last;
  }

  get noiseW(): number {
    return this.#noiseW;
  }

  /** Smallest step that can be a person: the larger of the floor and five noise widths. */
  minStepW(): number {
    return Math.max(this.#o.minStepW, 5 * this.#noiseW);
  }

  learned(): boolean {
    return this.#seenMs >= this.#o.learnForMs;
  }

  /** Forget the previous reading, e.g. after a power cut, so the restart of every load is no step. */
  rebase(): void {
    this.#last = Number.NaN;
  }

  /**
   * One power reading. Returns the verdict for the step from the previous reading and its size (W)
   * through `step`. `nightHour` says whether local time is between 00:00 and 05:00.
   */
  observe(powerW: number, wallMs: number, nightHour: boolean): StepVerdict {
    const prev = this.#last;
    const prevWall = this.#lastWall;
    this.#last = powerW;
    this.#lastWall = wallMs;
    if (Number.isNaN(prev)) return "none";
    const dt = wallMs - prevWall;
    if (dt > 0 && dt < HOUR_MS) this.#seenMs += dt;
    const step = powerW - prev;
    const abs = Math.abs(step);
    // The noise band follows small wiggles only, slowly (a 2 %-weight moving average).
    if (abs < 4 * this.#noiseW + 5) this.#noiseW += (Math.max(0.5, abs) - this.#noiseW) * 0.02;
    if (abs < this.minStepW()) return abs > 0 ? "noise" : "none";
    // Switching off is a person too (lights at bed time, the television), except a drop to nothing:
    // that is the meter losing mains, which the power-cut detection handles.
    if (step < 0 && powerW < Math.max(5, 2 * this.#noiseW)) return "none";
    // Machines are learned from both edges of their cycle: the same size class either way.
    const c = Math.min(127, stepClass(abs));
    this.#bump(c, wallMs, nightHour);
    if (this.#isMachine(c, wallMs)) return "machine";
    if (!this.learned() && abs < this.#o.coldStepW) return "machine";
    if (this.#twoMachines(abs, wallMs)) return "machine";
    return "person";
  }

  /**
   * Two machines switching in the same poll show as one step: the difference of their steps (a fridge
   * stopping as the freezer starts) or their sum (both starting, or both stopping), within 15 %. Such
   * coincidences are too rare to be learned as a class of their own, yet they happen a few times a
   * day, and each one taken for a person would restart the silence after a fall.
   */
  #twoMachines(abs: number, wallMs: number): boolean {
    if (wallMs - this.#peaksAt > HOUR_MS) {
      this.#peaks = this.#findPeaks(wallMs);
      this.#peaksAt = wallMs;
    }
    const peaks = this.#peaks;
    for (let i = 0; i < peaks.length; i++)
      for (let j = 0; j < i; j++) {
        const a = peaks[i] as number;
        const b = peaks[j] as number;
        if (Math.abs(abs - Math.abs(a - b)) <= 0.15 * Math.max(a, b)) return true;
        if (Math.abs(abs - (a + b)) <= 0.12 * (a + b)) return true;
      }
    return false;
  }

  /** Machine classes whose count is a local maximum: one typical step per machine. */
  #findPeaks(wallMs: number): number[] {
    const count = (c: number): number => {
      if (c < 0 || c > 127 || (this.#at[c] as number) === 0) return 0;
      return (this.#all[c] as number) * Math.exp(-(wallMs - (this.#at[c] as number)) / TAU_MS);
    };
    const out: number[] = [];
    for (let c = 0; c < 128; c++) {
      const n = count(c);
      if (n < MACHINE_ALL / 2 || n < count(c - 1) || n <= count(c + 1)) continue;
      if (this.#isMachine(c, wallMs)) out.push(Math.exp((c + 0.5) * CLASS_WIDTH));
    }
    return out;
  }

  /** Decayed counts of a class and its neighbours at `wallMs`. */
  #counts(c: number, wallMs: number): { all: number; night: number } {
    let all = 0;
    let night = 0;
    for (let k = Math.max(0, c - 1); k <= Math.min(127, c + 1); k++) {
      const at = this.#at[k] as number;
      if (at === 0) continue;
      const f = Math.exp(-(wallMs - at) / TAU_MS);
      all += (this.#all[k] as number) * f;
      night += (this.#night[k] as number) * f;
    }
    return { all, night };
  }

  /**
   * With hysteresis: a class becomes a machine at the full counts and stays one until its counts fall
   * to half. A freezer that cycles only three or four times a night sits near the night threshold;
   * without hysteresis it flickered in and out, and each of its steps while "out" counted as a person
   * (on a tuning home, a freezer taken for a person all evening hid a fall until the next morning).
   */
  #isMachine(c: number, wallMs: number): boolean {
    const { all, night } = this.#counts(c, wallMs);
    const k = this.#machine[c] === 1 ? 0.5 : 1;
    const yes = all >= MACHINE_ALL * k && night >= MACHINE_NIGHT * k;
    this.#machine[c] = yes ? 1 : 0;
    return yes;
  }

  #bump(c: number, wallMs: number, nightHour: boolean): void {
    const at = this.#at[c] as number;
    const f = at === 0 ? 0 : Math.exp(-(wallMs - at) / TAU_MS);
    this.#all[c] = (this.#all[c] as number) * f + 1;
    this.#night[c] = (this.#night[c] as number) * f + (nightHour ? 1 : 0);
    this.#at[c] = wallMs;
  }

  /** Step sizes (W, class centre) currently taken for machines, for inspection. */
  machines(wallMs: number): number[] {
    const out: number[] = [];
    for (let c = 0; c < 128; c++) {
      if ((this.#at[c] as number) === 0) continue;
      if (this.#isMachine(c, wallMs)) out.push(Math.round(Math.exp((c + 0.5) * CLASS_WIDTH)));
    }
    return out;
  }

  toJSON(): PowerModelState {
    const all: Record<string, number> = {};
    const night: Record<string, number> = {};
    const at: Record<string, number> = {};
    for (let c = 0; c < 128; c++) {
      if ((this.#at[c] as number) === 0) continue;
      all[c] = this.#all[c] as number;
      night[c] = this.#night[c] as number;
      at[c] = this.#at[c] as number;
    }
    const machine: number[] = [];
    for (let c = 0; c < 128; c++) if (this.#machine[c] === 1) machine.push(c);
    return { v: 1, noiseW: this.#noiseW, all, night, at, seenMs: this.#seenMs, machine };
  }

  restore(s: PowerModelState): void {
    if (s.v !== 1) return;
    this.#noiseW = s.noiseW;
    this.#seenMs = s.seenMs;
    for (const [k, v] of Object.entries(s.at)) {
      const c = Number(k);
      if (!(c >= 0 && c < 128)) continue;
      this.#at[c] = v;
      this.#all[c] = s.all[k] ?? 0;
      this.#night[c] = s.night[k] ?? 0;
    }
    for (const c of s.machine ?? []) if (c >= 0 && c < 128) this.#machine[c] = 1;
  }
}
