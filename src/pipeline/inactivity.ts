import { localParts } from "../contract/timestamps.js";
import type { Clock, Timer } from "../core/clock.js";
import type { Activity } from "./activity.js";

export interface SilenceRuleOptions {
  clock: Clock;
  timeZone: string;
  /** Minutes after local midnight. */
  sleepStartMin: number;
  sleepEndMin: number;
  maxSilenceDayMs: number;
  maxSilenceNightMs: number;
  /** How often the rule looks at the silence (monotonic ms). */
  checkEveryMs: number;
}

export interface SilenceVerdict {
  silenceMs: number;
  thresholdMs: number;
  night: boolean;
}

/** Whether a local time (minutes after midnight) lies in a window that may wrap midnight. */
export function inWindow(min: number, start: number, end: number): boolean {
  return start <= end ? min >= start && min < end : min >= start || min < end;
}

/**
 * The first silence rule: no activity for longer than the threshold for the time of day. Silence is
 * measured on the monotonic clock; wall time only says whether it is night.
 */
export class SilenceRule {
  #lastMono: number;
  /** Silence outside the sleep window since the last activity, accumulated one check at a time. */
  #awakeSilenceMs = 0;
  #lastCheckMono: number;
  #timer: Timer | undefined;
  #onSilence: ((v: SilenceVerdict) => void) | undefined;

  constructor(private readonly o: SilenceRuleOptions) {
    this.#lastMono = o.clock.monotonicMs();
    this.#lastCheckMono = this.#lastMono;
  }

  start(onSilence: (v: SilenceVerdict) => void): void {
    this.#onSilence = onSilence;
    this.#timer = this.o.clock.setInterval(() => this.check(), this.o.checkEveryMs);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#onSilence = undefined;
  }

  activity(a: Activity): void {
    if (a.mono > this.#lastMono) this.resetTo(a.mono);
  }

  /** Starts the silence from `mono` (an activity, or a restart when nothing is known). */
  resetTo(mono: number): void {
    this.#lastMono = mono;
    this.#awakeSilenceMs = 0;
    this.#lastCheckMono = Math.max(this.#lastCheckMono, mono);
  }

  lastActivityMono(): number {
    return this.#lastMono;
  }

  isNight(): boolean {
    const { hour, minute } = localParts(this.o.clock.wallMs(), this.o.timeZone);
    return inWindow(hour * 60 + minute, this.o.sleepStartMin, this.o.sleepEndMin);
  }

  /**
   * Two limits: the silence outside the sleep window against the day threshold (a night's sleep does
   * not count against the person), and the whole silence against the night threshold.
   */
  check(): SilenceVerdict | undefined {
    const now = this.o.clock.monotonicMs();
    const night = this.isNight();
    if (!night) this.#awakeSilenceMs += Math.max(0, now - this.#lastCheckMono);
    this.#lastCheckMono = now;
    const silenceMs = now - this.#lastMono;
    let v: SilenceVerdict | undefined;
    if (silenceMs >= this.o.maxSilenceNightMs)
      v = { silenceMs, thresholdMs: this.o.maxSilenceNightMs, night: true };
    else if (this.#awakeSilenceMs >= this.o.maxSilenceDayMs)
      v = { silenceMs, thresholdMs: this.o.maxSilenceDayMs, night: false };
    if (v) this.#onSilence?.(v);
    return v;
  }
}
