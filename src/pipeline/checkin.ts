import type { EventBody } from "../contract/messages.js";
import { inWindow, type SilenceVerdict } from "./inactivity.js";
import type { InactivityFinding } from "./inactivity-verdicts.js";
import type { LocalTime } from "./local-time.js";

/** "HH:MM" of minutes after local midnight. */
export function hhmm(min: number): string {
  const m = ((min % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/**
 * The daily check-in: the person shows they are well by the "I am fine" action between the end of the
 * sleep window and `byMin` (the same local day). A day without it is a finding (`checkin_missed`),
 * decided once, at the first minute from `byMin` (within the hour after it, as the morning deadline:
 * a gateway started later does not look back). A day the gateway did not watch from the end of the
 * sleep window is not judged: a press before the start would have been missed.
 */
export class Checkin {
  readonly byMin: number;
  readonly #sleepEndMin: number;
  #doneDay = -1;
  #decidedDay = -1;

  constructor(byMin: number, sleepEndMin: number) {
    this.byMin = byMin;
    this.#sleepEndMin = sleepEndMin;
  }

  /** The pipeline started at `local`: today is judged only when it started before the window. */
  start(local: LocalTime): void {
    if (local.minuteOfDay >= this.#sleepEndMin) this.#decidedDay = local.day;
  }

  /** An "I am fine" at `local`: the `checkin_done` event when it is the day's check-in (in the window, the first). */
  pressed(local: LocalTime, device: string): EventBody | undefined {
    if (!inWindow(local.minuteOfDay, this.#sleepEndMin, this.byMin) || this.#doneDay === local.day)
      return undefined;
    this.#doneDay = local.day;
    return { event: "checkin_done", device, data: { device, by: hhmm(this.byMin) } };
  }

  /**
   * At every tick: once a day, the finding of a missed check-in (rule `checkin_missed`, with the
   * current silence's figures). `skip` (watch away, an alert or a pre-alarm already open, nothing
   * observed): the day is decided without a finding.
   */
  missed(local: LocalTime, skip: boolean, silence: SilenceVerdict): InactivityFinding | undefined {
    if (local.day === this.#decidedDay) return undefined;
    const since = (local.minuteOfDay - this.byMin + 1440) % 1440;
    if (since >= 60) return undefined;
    this.#decidedDay = local.day;
    if (skip || this.#doneDay === local.day) return undefined;
    return { verdict: silence, rule: "checkin_missed", checkin: { by: hhmm(this.byMin) } };
  }
}
