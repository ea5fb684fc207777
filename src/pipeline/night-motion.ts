import { MINUTE_MS } from "../core/time.js";
import type { Activity } from "./activity.js";
import type { LocalTime } from "./local-time.js";

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
 * Only when this night has more such triggers than any night of the last `DAYS` days (answered
 * findings count as ordinary nights). Where none is usual, the first one is asked about. A coarse
 * water meter (10 L) does not show every flush, so there a night toilet visit is a lone trigger and
 * one or two a night are usual; a person on the floor who still moves makes more, hour after hour
 * (docs/DETECTION.md, "Misses within 12 h"). Before this count, one usual lone trigger in 28 days
 * turned the rule off for the home, and two evening or night incidents of the tuning homes waited
 * more than 12 h for the morning.
 */

/** The home has been quiet at least this long when the trigger comes (the person had settled). */
export const NIGHT_MOTION_SETTLED_MS = 60 * MINUTE_MS;
/** Nothing else within this long after the trigger. */
export const NIGHT_MOTION_QUIET_MS = 10 * MINUTE_MS;
/** Days looked back over, and days observed before the rule is used. */
const DAYS = 28;
const MIN_DAYS = 14;
/**
 * Lone triggers a night beyond the usual most before one is asked about, where some are usual. 0: the
 * first night with more than any of the last 28 is asked (chosen on the tuning seeds: 1 asked about
 * 1 % fewer times and found night incidents later, docs/DETECTION.md).
 */
export const NIGHT_MOTION_SLACK = 0;

/** A night's key: the local day it began on (a night runs across midnight; noon divides them). */
export function nightOf(local: Pick<LocalTime, "day" | "minuteOfDay">): number {
  return local.minuteOfDay < 12 * 60 ? local.day - 1 : local.day;
}

export interface NightMotionState {
  /** v1: `usual` lists nights with one ordinary lone trigger; v2: `counts` per night. */
  v: 1 | 2;
  first: number;
  usual?: number[];
  /** Night (its key) → ordinary lone triggers that night. */
  counts?: Record<string, number>;
}

export class NightMotion {
  /** The lone trigger waiting to see whether anything follows it. */
  #candidate: Activity | undefined;
  /** Night first observed. */
  #first: number | undefined;
  /** Night → lone triggers nothing followed (tonight's included). */
  #counts = new Map<number, number>();
  /** The night of a finding being asked about: answered, it was an ordinary one. */
  #asked: number | undefined;
  /** The night of the last finding (one a night). */
  #askedNight: number | undefined;
  readonly #slack: number;

  constructor(o: { slack?: number } = {}) {
    this.#slack = o.slack ?? NIGHT_MOTION_SLACK;
  }

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
    this.#candidate = a;
  }

  /**
   * A trigger that nothing followed for the quiet time is counted for its night; the finding's moment
   * (once a night) when the night now has more of them than usual in this home.
   */
  due(nowMono: number, night: number): Activity | undefined {
    this.#first ??= night;
    const c = this.#candidate;
    if (!c || nowMono - c.mono < NIGHT_MOTION_QUIET_MS) return undefined;
    this.#candidate = undefined;
    for (const n of [...this.#counts.keys()]) if (n <= night - DAYS) this.#counts.delete(n);
    const tonight = (this.#counts.get(night) ?? 0) + 1;
    this.#counts.set(night, tonight);
    if (night - this.#first < MIN_DAYS || this.#askedNight === night) return undefined;
    const most = this.usualMost(night);
    if (tonight <= most + (most > 0 ? this.#slack : 0)) return undefined;
    this.#asked = night;
    this.#askedNight = night;
    return c;
  }

  /** The most lone triggers in one night of the days looked back over, tonight not included. */
  usualMost(night: number): number {
    let most = 0;
    for (const [n, k] of this.#counts) if (n < night && n > night - DAYS && k > most) most = k;
    return most;
  }

  /**
   * The silence restarted; `ordinary`: the person answered, so what was asked about is usual (the
   * night's count stays). Unanswered, the night is not learned beyond the usual.
   */
  answered(ordinary: boolean): void {
    if (!ordinary) this.#unlearn();
    this.#asked = undefined;
  }

  /** Away, out, an alert open (what was asked went unanswered) or a restart: nothing pending. */
  clear(): void {
    this.#candidate = undefined;
    this.#unlearn();
    this.#asked = undefined;
  }

  /** An unanswered finding's night keeps no more lone triggers than the usual most. */
  #unlearn(): void {
    const n = this.#asked;
    if (n === undefined) return;
    this.#counts.set(n, Math.min(this.#counts.get(n) ?? 0, this.usualMost(n)));
  }

  toJSON(): NightMotionState {
    return {
      v: 2,
      first: this.#first ?? -1,
      counts: Object.fromEntries([...this.#counts].map(([n, k]) => [String(n), k])),
    };
  }

  restore(s: NightMotionState | undefined): void {
    if ((s?.v !== 1 && s?.v !== 2) || !Number.isInteger(s.first)) return;
    this.#first = s.first >= 0 ? s.first : undefined;
    this.#counts = new Map();
    if (s.v === 1 && Array.isArray(s.usual))
      for (const d of s.usual) if (Number.isInteger(d)) this.#counts.set(d, (this.#counts.get(d) ?? 0) + 1);
    if (s.v === 2 && s.counts && typeof s.counts === "object")
      for (const [k, n] of Object.entries(s.counts))
        if (Number.isInteger(Number(k)) && Number.isInteger(n) && n > 0) this.#counts.set(Number(k), n);
  }
}
