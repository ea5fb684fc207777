import { MINUTE_MS } from "../core/time.js";
import type { Activity } from "./activity.js";

/**
 * Movement in the night that is nobody going about: with the pre-alarm, a motion (or presence)
 * trigger in the sleep window, after the home has been quiet for a while, that nothing else follows
 * — no water, no power step, no door, no button, no more motion showing someone up — is asked about.
 *
 * A person who gets up in the night runs water, switches on a light or goes back to bed; a person
 * who fell on the way still moves a little, in view of the PIR, and does nothing else. Such a trigger
 * is ignored by the silence rules (silence-evidence.ts: a lone trigger is no proof of anyone up), and
 * the fall was found only by the morning deadline, ten hours on. Someone moving is likely awake, so
 * the prompt is spoken even in the dark; one a night at most.
 *
 * Only in a home where such movement is not usual: where, in the last `DAYS` days, no night trigger
 * went unaccompanied (or the person answered "I am fine" to one). A coarse water meter (10 L) does
 * not show every flush, so there a night toilet visit is a lone trigger, and the rule stays off.
 */

/** The home has been quiet at least this long when the trigger comes (the person had settled). */
export const NIGHT_MOTION_SETTLED_MS = 60 * MINUTE_MS;
/** Nothing else within this long after the trigger. */
export const NIGHT_MOTION_QUIET_MS = 10 * MINUTE_MS;
/** One finding a night: not again within this long. */
const ONCE_MS = 8 * 60 * MINUTE_MS;
/** Days looked back over, and days observed before the rule is used. */
const DAYS = 28;
const MIN_DAYS = 14;

export interface NightMotionState {
  v: 1;
  first: number;
  /** Local days with an ordinary unaccompanied night trigger. */
  usual: number[];
}

export class NightMotion {
  /** The lone trigger waiting to see whether anything follows it. */
  #candidate: Activity | undefined;
  #lastFindingMono = Number.NEGATIVE_INFINITY;
  /** Local day first observed; days with an ordinary unaccompanied trigger. */
  #first: number | undefined;
  #usual: number[] = [];
  /** The day of a finding being asked about: answered, it was an ordinary one. */
  #asked: number | undefined;

  /**
   * Any activity. `up`: it shows someone is up (silence-evidence.ts); `night`: in the sleep window;
   * `silenceMs`: the rules' silence before it.
   */
  activity(a: Activity, up: boolean, night: boolean, silenceMs: number): void {
    const lone = (a.source === "motion" || a.source === "presence") && !up;
    if (!lone) {
      // Someone is about (water, a light, the door, a button, motion that shows them up).
      this.#candidate = undefined;
      return;
    }
    if (this.#candidate || !night || silenceMs < NIGHT_MOTION_SETTLED_MS) return;
    if (a.mono - this.#lastFindingMono < ONCE_MS) return;
    this.#candidate = a;
  }

  /**
   * A trigger that nothing followed for the quiet time: the finding's moment (once), when such a
   * trigger is not usual in this home; else it is learned as usual.
   */
  due(nowMono: number, day: number): Activity | undefined {
    this.#first ??= day;
    const c = this.#candidate;
    if (!c || nowMono - c.mono < NIGHT_MOTION_QUIET_MS) return undefined;
    this.#candidate = undefined;
    this.#lastFindingMono = nowMono;
    this.#usual = this.#usual.filter((d) => d > day - DAYS);
    if (day - this.#first < MIN_DAYS || this.#usual.length > 0) {
      this.#usual.push(day);
      return undefined;
    }
    this.#asked = day;
    return c;
  }

  /** The silence restarted; `ordinary`: the person answered, so what was asked about is usual. */
  answered(ordinary: boolean): void {
    if (ordinary && this.#asked !== undefined) this.#usual.push(this.#asked);
    this.#asked = undefined;
  }

  /** Away, out, an alert open (what was asked went unanswered) or a restart: nothing pending. */
  clear(): void {
    this.#candidate = undefined;
    this.#asked = undefined;
  }

  toJSON(): NightMotionState {
    return { v: 1, first: this.#first ?? -1, usual: [...this.#usual] };
  }

  restore(s: NightMotionState | undefined): void {
    if (s?.v !== 1 || !Number.isInteger(s.first) || !Array.isArray(s.usual)) return;
    this.#first = s.first >= 0 ? s.first : undefined;
    this.#usual = s.usual.filter((d) => Number.isInteger(d));
  }
}
