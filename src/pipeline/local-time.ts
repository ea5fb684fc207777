import { localParts } from "../contract/timestamps.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../core/time.js";

/** Local calendar position of an instant, in the home's zone. */
export interface LocalTime {
  /** Days since 1970-01-01 in local time: changes at local midnight. */
  day: number;
  /** 0–23 */
  hour: number;
  /** Minutes after local midnight, 0–1439. */
  minuteOfDay: number;
  /** 0 = Monday … 6 = Sunday. */
  weekday: number;
  /** 0–167: weekday × 24 + hour. */
  hourOfWeek: number;
}

/** Weekday (0 = Monday … 6 = Sunday) of a local day number (days since 1970-01-01, a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** Hour of the week (0–167) of local hour `hour` on local day number `day`. */
export function hourOfWeekOf(day: number, hour: number): number {
  return weekdayOf(day) * 24 + hour;
}

/**
 * Local time by arithmetic: the zone's offset is looked up with Intl once per UTC hour (offsets change
 * on whole hours in practice), because detection asks every minute and replay asks millions of times.
 */
/**
 * Offset (ms) of each UTC hour asked about, keyed by hours since the epoch, per zone; shared by every
 * clock of the zone (an eval replays hundreds of homes, each with its clock), cleared when large.
 */
const OFFSETS = new Map<string, Map<number, number>>();

export class LocalClock {
  readonly #offsets: Map<number, number>;
  #lastMinute = Number.NaN;
  #last: LocalTime | undefined;
  constructor(readonly timeZone: string) {
    let offsets = OFFSETS.get(timeZone);
    if (offsets === undefined) {
      offsets = new Map();
      OFFSETS.set(timeZone, offsets);
    }
    this.#offsets = offsets;
  }

  offsetMs(wallMs: number): number {
    const h = Math.floor(wallMs / HOUR_MS);
    const cached = this.#offsets.get(h);
    if (cached !== undefined) return cached;
    const p = localParts(h * HOUR_MS, this.timeZone);
    const local = Date.UTC(
      Number(p.date.slice(0, 4)),
      Number(p.date.slice(5, 7)) - 1,
      Number(p.date.slice(8, 10)),
      p.hour,
      p.minute,
    );
    if (this.#offsets.size > 4096) this.#offsets.clear();
    this.#offsets.set(h, local - h * HOUR_MS);
    return local - h * HOUR_MS;
  }

  /**
   * The same answer for every instant of one UTC minute (the offset is whole minutes and changes on
   * whole hours), so the last one is kept: every reading and every tick asks. Frozen, being shared.
   */
  at(wallMs: number): LocalTime {
    const minute = Math.floor(wallMs / MINUTE_MS);
    if (minute === this.#lastMinute && this.#last !== undefined) return this.#last;
    const local = wallMs + this.offsetMs(wallMs);
    const day = Math.floor(local / DAY_MS);
    const msOfDay = local - day * DAY_MS;
    const minuteOfDay = Math.floor(msOfDay / MINUTE_MS);
    const hour = Math.floor(minuteOfDay / 60);
    const weekday = weekdayOf(day);
    this.#lastMinute = minute;
    this.#last = Object.freeze({ day, hour, minuteOfDay, weekday, hourOfWeek: weekday * 24 + hour });
    return this.#last;
  }

  /** Local date (YYYY-MM-DD) of a local day number. */
  static dateOf(day: number): string {
    return new Date(day * DAY_MS).toISOString().slice(0, 10);
  }

  /** Wall time of local minute `minuteOfDay` on local day `day`. */
  wallOf(day: number, minuteOfDay: number): number {
    const guess = day * DAY_MS + minuteOfDay * MINUTE_MS;
    return guess - this.offsetMs(guess - this.offsetMs(guess));
  }
}
