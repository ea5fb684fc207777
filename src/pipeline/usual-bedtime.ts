/**
 * When this person usually goes to bed: for each night, the time of the last sign of someone up
 * before the night's first long silence (usual-stillness-verdict.ts finds it, and keeps it once the
 * silence ends with someone up).
 *
 * The installer's sleep window is a round guess ("about ten"), and people go to bed later on some
 * evenings than on others. Before the person's own bedtime the evening is still day: a fall at 20:40
 * by someone who goes to bed at 21:30 is a daytime fall, but the sleep window has stopped every
 * daytime count at 20:30, and it was found only the next morning. The usual stillness counts on
 * until the latest bedtime of the days looked back over (usual-stillness-verdict.ts).
 */

/** A bedtime sign this long before the start of the sleep window, or later, is the evening's. */
const FROM_MIN = 180;
/** The day's end never moves more than this past the start of the sleep window. */
export const MAX_EXTENSION_MIN = 180;

export class UsualBedtime {
  readonly #sleepStartMin: number;
  readonly #days: number;
  readonly #minDays: number;
  /** Local day of the bedtime sign → its time, in minutes from `FROM_MIN` before the sleep window. */
  #nights = new Map<number, number>();
  #learned: { today: number; extension: number; earliest: number | undefined } | undefined;

  constructor(o: { sleepStartMin: number; days: number; minDays: number }) {
    this.#sleepStartMin = o.sleepStartMin;
    this.#days = o.days;
    this.#minDays = o.minDays;
  }

  /** Whether a bedtime sign at this local minute lies in the evening around the window. */
  isEvening(min: number): boolean {
    return (min - this.#sleepStartMin + FROM_MIN + 1440) % 1440 < FROM_MIN + MAX_EXTENSION_MIN;
  }

  /**
   * The person went to bed at `lastSignMin` (minutes after local midnight) of local day `day`.
   * Ignored unless it lies in the evening around the window.
   */
  record(day: number, lastSignMin: number): void {
    const rel = (lastSignMin - this.#sleepStartMin + FROM_MIN + 1440) % 1440;
    if (rel >= FROM_MIN + MAX_EXTENSION_MIN) return;
    this.#nights.set(day, rel);
    for (const d of [...this.#nights.keys()]) if (d <= day - this.#days) this.#nights.delete(d);
    this.#learned = undefined;
  }

  /**
   * How far past the start of the sleep window the day lasts tonight (minutes, 0 when not learned):
   * up to the latest bedtime of the nights looked back over.
   */
  extensionMin(today: number): number {
    return this.#of(today).extension;
  }

  /** The earliest bedtime of the nights looked back over, local minutes after midnight (when learned). */
  earliestMin(today: number): number | undefined {
    return this.#of(today).earliest;
  }

  /**
   * Both answers for `today`, kept until the day or the nights change: every tick asks, and going
   * over the nights each time was a fifth of what a replay allocated (a profile).
   */
  #of(today: number): { today: number; extension: number; earliest: number | undefined } {
    const kept = this.#learned;
    if (kept !== undefined && kept.today === today) return kept;
    this.#learned = this.#compute(today);
    return this.#learned;
  }

  // Apart from `#of`: the closure's variables would be allocated on every call, kept answer or not.
  #compute(today: number): { today: number; extension: number; earliest: number | undefined } {
    let latest = -1;
    let earliest = Number.POSITIVE_INFINITY;
    let n = 0;
    this.#nights.forEach((rel, d) => {
      if (d <= today - this.#days || d > today + 1) return;
      n++;
      latest = Math.max(latest, rel);
      earliest = Math.min(earliest, rel);
    });
    const learned = n >= this.#minDays;
    return {
      today,
      extension: learned ? Math.max(0, Math.min(MAX_EXTENSION_MIN, latest - FROM_MIN)) : 0,
      earliest: learned ? (this.#sleepStartMin - FROM_MIN + earliest + 1440) % 1440 : undefined,
    };
  }

  /** The latest usual bedtime, local minutes after midnight (for the evidence). */
  bedtimeMin(today: number): number {
    return (this.#sleepStartMin + this.extensionMin(today)) % 1440;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.#nights].map(([d, m]) => [String(d), m]));
  }

  restore(s: Record<string, unknown> | undefined): void {
    this.#nights = new Map();
    this.#learned = undefined;
    for (const [k, m] of Object.entries(s ?? {}))
      if (Number.isInteger(Number(k)) && Number.isInteger(m) && (m as number) >= 0 && (m as number) < 1440)
        this.#nights.set(Number(k), m as number);
  }
}
