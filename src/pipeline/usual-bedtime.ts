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

  constructor(o: { sleepStartMin: number; days: number; minDays: number }) {
    this.#sleepStartMin = o.sleepStartMin;
    this.#days = o.days;
    this.#minDays = o.minDays;
  }

  /**
   * The person went to bed at `lastSignMin` (minutes after local midnight) of local day `day`.
   * Ignored unless it lies in the evening around the window.
   */
  /** Whether a bedtime sign at this local minute lies in the evening around the window. */
  isEvening(min: number): boolean {
    return (min - this.#sleepStartMin + FROM_MIN + 1440) % 1440 < FROM_MIN + MAX_EXTENSION_MIN;
  }

  record(day: number, lastSignMin: number): void {
    const rel = (lastSignMin - this.#sleepStartMin + FROM_MIN + 1440) % 1440;
    if (rel >= FROM_MIN + MAX_EXTENSION_MIN) return;
    this.#nights.set(day, rel);
    for (const d of [...this.#nights.keys()]) if (d <= day - this.#days) this.#nights.delete(d);
  }

  /**
   * How far past the start of the sleep window the day lasts tonight (minutes, 0 when not learned):
   * up to the latest bedtime of the nights looked back over.
   */
  extensionMin(today: number): number {
    let latest = -1;
    let n = 0;
    for (const [d, rel] of this.#nights) {
      if (d <= today - this.#days || d > today + 1) continue;
      n++;
      latest = Math.max(latest, rel);
    }
    if (n < this.#minDays) return 0;
    return Math.max(0, Math.min(MAX_EXTENSION_MIN, latest - FROM_MIN));
  }

  /** The earliest bedtime of the nights looked back over, local minutes after midnight (when learned). */
  earliestMin(today: number): number | undefined {
    let earliest = Number.POSITIVE_INFINITY;
    let n = 0;
    for (const [d, rel] of this.#nights) {
      if (d <= today - this.#days || d > today + 1) continue;
      n++;
      earliest = Math.min(earliest, rel);
    }
    if (n < this.#minDays) return undefined;
    return (this.#sleepStartMin - FROM_MIN + earliest + 1440) % 1440;
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
    for (const [k, m] of Object.entries(s ?? {}))
      if (Number.isInteger(Number(k)) && Number.isInteger(m) && (m as number) >= 0 && (m as number) < 1440)
        this.#nights.set(Number(k), m as number);
  }
}
