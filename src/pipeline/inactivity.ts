import type { LocalTime } from "./local-time.js";

/** A time-of-day window with its own longest silence (minutes after local midnight; may wrap). */
export interface SilenceWindow {
  startMin: number;
  endMin: number;
  maxSilenceMs: number;
}

export interface SilenceRuleOptions {
  /** The usual night (minutes after local midnight). */
  sleepStartMin: number;
  sleepEndMin: number;
  /** Longest silence outside the sleep window, where no window below says otherwise. */
  maxSilenceDayMs: number;
  /** Longest whole silence, across the sleep window. */
  maxSilenceNightMs: number;
  /** Day windows with their own limit (the first that contains the time wins). */
  windows?: readonly SilenceWindow[];
  /** "No activity since the end of the sleep window by this time" (minutes after midnight). */
  morningDeadlineMin?: number;
  /**
   * The deadline alerts only if the silence then is at least this long: an early riser who was up
   * before the end of the sleep window and went out is not taken for someone who never got up.
   */
  morningMinSilenceMs?: number;
}

export type RuleName = "max_silence_day" | "max_silence_night" | "morning_deadline";

export interface SilenceVerdict {
  rule: RuleName;
  /** Silence on the monotonic clock since the last activity. */
  silenceMs: number;
  /** The part of it that counted (monitoring working, not a power cut). */
  countedMs: number;
  thresholdMs: number;
  night: boolean;
}

/** Whether a local time (minutes after midnight) lies in a window that may wrap midnight. */
export function inWindow(min: number, start: number, end: number): boolean {
  return start <= end ? min >= start && min < end : min >= start || min < end;
}

/**
 * The rules of day one. Silence is measured on the monotonic clock and accumulated one check at a
 * time, so that time in which the home could not be observed (a power cut, every sense missing)
 * is not counted against the person; wall time only says which window applies.
 */
export class SilenceRule {
  readonly #o: SilenceRuleOptions;
  #lastMono: number;
  #lastCheckMono: number;
  /** Silence that counted since the last activity, in total and outside the sleep window. */
  #countedMs = 0;
  #awakeMs = 0;
  /** Local day of the last morning-deadline decision, so it is taken once a day. */
  #deadlineDay = -1;

  constructor(o: SilenceRuleOptions, nowMono: number) {
    this.#o = o;
    this.#lastMono = nowMono;
    this.#lastCheckMono = nowMono;
  }

  activity(mono: number): void {
    if (mono > this.#lastMono) this.resetTo(mono);
  }

  /** Starts the silence from `mono` (an activity, a return from away, a restart). */
  resetTo(mono: number): void {
    this.#lastMono = mono;
    this.#countedMs = 0;
    this.#awakeMs = 0;
    this.#lastCheckMono = Math.max(this.#lastCheckMono, mono);
  }

  lastActivityMono(): number {
    return this.#lastMono;
  }

  countedMs(): number {
    return this.#countedMs;
  }

  /** The part of the counted silence outside the sleep window. */
  awakeMs(): number {
    return this.#awakeMs;
  }

  isNight(local: LocalTime): boolean {
    return inWindow(local.minuteOfDay, this.#o.sleepStartMin, this.#o.sleepEndMin);
  }

  /** The day limit at this time of day. */
  dayThresholdMs(local: LocalTime): number {
    for (const w of this.#o.windows ?? [])
      if (inWindow(local.minuteOfDay, w.startMin, w.endMin)) return w.maxSilenceMs;
    return this.#o.maxSilenceDayMs;
  }

  /**
   * Looks at the silence now. `paused`: the time since the last check does not count. `factor`
   * shortens every limit (heightened watch). `lastActivityWallMs` and `sleepEndWallMs` decide the
   * morning deadline.
   */
  check(
    nowMono: number,
    local: LocalTime,
    o: { paused: boolean; factor: number; lastActivityWallMs: number; sleepEndWallMs: number },
  ): SilenceVerdict | undefined {
    const night = this.isNight(local);
    const dt = Math.max(0, nowMono - this.#lastCheckMono);
    this.#lastCheckMono = nowMono;
    if (!o.paused) {
      this.#countedMs += dt;
      if (!night) this.#awakeMs += dt;
    }
    const silenceMs = nowMono - this.#lastMono;
    const nightLimit = this.#o.maxSilenceNightMs * o.factor;
    if (this.#countedMs >= nightLimit)
      return {
        rule: "max_silence_night",
        silenceMs,
        countedMs: this.#countedMs,
        thresholdMs: nightLimit,
        night,
      };
    const dayLimit = this.dayThresholdMs(local) * o.factor;
    if (this.#awakeMs >= dayLimit)
      return { rule: "max_silence_day", silenceMs, countedMs: this.#countedMs, thresholdMs: dayLimit, night };
    const dl = this.#o.morningDeadlineMin;
    if (dl !== undefined && local.day !== this.#deadlineDay) {
      const end = this.#o.sleepEndMin;
      const deadline = Math.round(end + ((dl - end + 1440) % 1440) * o.factor);
      const since = (local.minuteOfDay - (deadline % 1440) + 1440) % 1440;
      // Decide once, in the hour after the deadline (a gateway started at noon does not look back).
      if (since < 60) {
        this.#deadlineDay = local.day;
        const minSilence = (this.#o.morningMinSilenceMs ?? 0) * o.factor;
        if (!o.paused && o.lastActivityWallMs < o.sleepEndWallMs && silenceMs >= minSilence)
          return {
            rule: "morning_deadline",
            silenceMs,
            countedMs: this.#countedMs,
            thresholdMs: silenceMs,
            night,
          };
      }
    }
    return undefined;
  }
}
