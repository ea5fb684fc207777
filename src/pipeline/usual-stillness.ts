import { HOUR_MS, MINUTE_MS } from "../core/time.js";

/**
 * How long this person is usually still, hour by hour: for each local day and each hour of the day,
 * the longest daytime silence (outside the sleep window, observed time) that reached into that hour
 * and ended as an ordinary one, with someone up again. A silence that ended in an alert, or was cut
 * by an acknowledgement, a return from away or a restart, teaches nothing.
 *
 * With a motion sensor a silence is short while the person is up, and long only when they nap, sit
 * very still or are out of its view; when and how long differs from home to home and by the hour (an
 * afternoon nap, an evening in the armchair). One day limit for every home and hour must be set for
 * the stillest of them; this limit is the home's own. It is used only with the pre-alarm, which asks
 * the person first: a still afternoon longer than any in the last weeks is asked about, and the answer
 * (the person was fine) is learned in turn.
 */

export interface UsualStillnessOptions {
  /** Days of history the limit looks back over. */
  days: number;
  /** Days observed before the limit is used. */
  minDays: number;
  /**
   * The limit is the longest usual silence around this hour times (1 + margin)… (0.2 until the
   * silence measure's 20-minute wait and the outings' meter lag freed prompts, 0.15 until the
   * morning's prompts were asked 20 min later: docs/DETECTION.md)
   */
  margin: number;
  /** …and never less than this. */
  floorMs: number;
}

export const USUAL_STILLNESS_DEFAULTS: UsualStillnessOptions = {
  days: 28,
  minDays: 14,
  margin: 0.1,
  floorMs: 45 * MINUTE_MS,
};

export interface UsualStillnessState {
  v: 1;
  /** Local day number → the longest ordinary silence (ms) reaching into each hour 0–23. */
  days: Record<string, number[]>;
}

export class UsualStillness {
  readonly #o: UsualStillnessOptions;
  /** Ordinary silences, committed: local day → per-hour longest. */
  #days = new Map<number, number[]>();
  /** The silence going on now, not yet known to be ordinary. */
  #pending = new Map<number, number[]>();

  constructor(o: { [K in keyof UsualStillnessOptions]?: UsualStillnessOptions[K] | undefined } = {}) {
    const set = Object.entries(o).filter(([, v]) => v !== undefined);
    this.#o = { ...USUAL_STILLNESS_DEFAULTS, ...Object.fromEntries(set) };
  }

  /** The current silence has reached `awakeMs` of daytime in this hour of this local day. */
  observe(day: number, hour: number, awakeMs: number): void {
    if (!this.#days.has(day)) this.#days.set(day, new Array<number>(24).fill(0));
    let p = this.#pending.get(day);
    if (!p) {
      p = new Array<number>(24).fill(0);
      this.#pending.set(day, p);
    }
    if (awakeMs > (p[hour] as number)) p[hour] = awakeMs;
  }

  /** The current silence ended with someone up: it was an ordinary one. */
  commit(): void {
    for (const [day, p] of this.#pending) {
      const d = this.#days.get(day) ?? new Array<number>(24).fill(0);
      for (let h = 0; h < 24; h++) d[h] = Math.max(d[h] as number, p[h] as number);
      this.#days.set(day, d);
    }
    this.#pending.clear();
    this.#prune();
  }

  /** The current silence ended otherwise (an alert, away, a restart): it teaches nothing. */
  discard(): void {
    this.#pending.clear();
  }

  /** Days observed in the window ending on `today`. */
  daysSeen(today: number): number {
    let n = 0;
    for (const d of this.#days.keys()) if (d > today - this.#o.days && d <= today) n++;
    return n;
  }

  ready(today: number): boolean {
    return this.daysSeen(today) >= this.#o.minDays;
  }

  /** The longest usual silence reaching into this hour or the hours either side, in the window. */
  usualMs(today: number, hour: number): number {
    let m = 0;
    for (const [d, v] of this.#days) {
      if (d <= today - this.#o.days || d > today) continue;
      for (const h of [hour - 1, hour, hour + 1]) m = Math.max(m, v[(h + 24) % 24] as number);
    }
    return m;
  }

  /** The limit for a silence now (before any heightened-watch factor). */
  limitMs(today: number, hour: number): number {
    return Math.max(this.#o.floorMs, Math.ceil(this.usualMs(today, hour) * (1 + this.#o.margin)));
  }

  #prune(): void {
    const last = Math.max(...this.#days.keys());
    for (const d of [...this.#days.keys()]) if (d <= last - this.#o.days) this.#days.delete(d);
  }

  toJSON(): UsualStillnessState {
    return { v: 1, days: Object.fromEntries([...this.#days].map(([d, v]) => [String(d), [...v]])) };
  }

  restore(s: UsualStillnessState): void {
    if (s?.v !== 1 || typeof s.days !== "object" || s.days === null) return;
    const days = new Map<number, number[]>();
    for (const [k, v] of Object.entries(s.days)) {
      const d = Number(k);
      if (!Number.isInteger(d) || !Array.isArray(v) || v.length !== 24) continue;
      if (!v.every((x) => typeof x === "number" && x >= 0 && x <= 48 * HOUR_MS)) continue;
      days.set(d, [...v]);
    }
    this.#days = days;
  }
}
