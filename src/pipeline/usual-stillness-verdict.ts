import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../core/time.js";
import { SilenceRule, type SilenceVerdict } from "./inactivity.js";
import { type LocalTime, weekdayOf } from "./local-time.js";
import {
  USUAL_STILLNESS_DEFAULTS,
  UsualStillness,
  type UsualStillnessOptions,
  type UsualStillnessState,
} from "./usual-stillness.js";

/** What the finding of a usual-stillness verdict says (the alert's `usual` evidence). */
export interface UsualEvidence {
  /**
   * Which stillness was too long: the silence (someone up), time without any sign at all, or the
   * morning's (nobody up yet, later than the person has got up in the days looked back over).
   */
  measure: "silence" | "any_sign" | "morning";
  /** The longest usual one around this hour (the morning: the latest first sign, local "HH:MM"). */
  usual_s?: number;
  usual_up?: string;
  days: number;
}

/**
 * Past the latest usual first sign of the morning by this much, nobody up yet is asked about; with
 * the pre-alarm's wait (10 min) an unanswered prompt is an alert about half an hour past it.
 */
const MORNING_MARGIN_MS = 20 * MINUTE_MS;
/** A first sign this long before the end of the sleep window, or later, is the morning's. */
const MORNING_FROM_MIN = 180;

export interface UsualStillnessSnapshot {
  v: 2;
  silence: UsualStillnessState;
  any_sign: UsualStillnessState;
  /** Local day → the minute of the day's first sign of someone up after the night. */
  morning?: Record<string, number>;
}

/**
 * Two measures of how still the home is, each with its learned usual length by hour:
 * - the **silence** of the rules (since the last sign that someone is up: a lone PIR trigger does not
 *   count, because a person on the floor still moves a little);
 * - the time since **any sign** at all, a lone PIR trigger included: far shorter while the person is
 *   up (a PIR sees them several times an hour), so a fall shows sooner, unless they still move.
 * Each is found when it exceeds what this home has shown around this hour; only daytime silences
 * that began by day count (a silence from the night is the morning deadline's).
 */
export class UsualStillnessVerdict {
  readonly silence: UsualStillness;
  readonly anySign: UsualStillness;
  /** Counts observed daytime since the last sign of any kind (the rules' counting, no limits). */
  readonly #anyRule: SilenceRule;
  readonly #sleepEndMin: number;
  readonly #days: number;
  /** Local day → minute of the morning's first sign of someone up. */
  #morning = new Map<number, number>();
  /** Local day the morning finding was last made (once a day). */
  #morningAsked = -1;

  constructor(
    o: { sleepStartMin: number; sleepEndMin: number } & Partial<
      Pick<UsualStillnessOptions, "floorMs" | "margin">
    >,
    nowMono: number,
  ) {
    const learn = { floorMs: o.floorMs, margin: o.margin };
    this.#sleepEndMin = o.sleepEndMin;
    this.#days = USUAL_STILLNESS_DEFAULTS.days;
    this.silence = new UsualStillness(learn);
    this.anySign = new UsualStillness(learn);
    this.#anyRule = new SilenceRule(
      {
        sleepStartMin: o.sleepStartMin,
        sleepEndMin: o.sleepEndMin,
        maxSilenceDayMs: Number.POSITIVE_INFINITY,
        maxSilenceNightMs: Number.POSITIVE_INFINITY,
      },
      nowMono,
    );
  }

  /**
   * A sign at `mono` (local time `local`); `up`: it also ends the rules' silence (it shows someone is
   * up). `rule`: the rules' silence, before the sign ends it.
   */
  sign(mono: number, up: boolean, local: LocalTime, rule: SilenceRule): void {
    if (mono > this.#anyRule.lastActivityMono()) this.anySign.commit();
    this.#anyRule.activity(mono);
    if (!up) return;
    this.silence.commit();
    // The first sign of someone up after a silence through the night, from three hours before the
    // end of the sleep window on: when this person gets up.
    const sinceEnd = (local.minuteOfDay - this.#sleepEndMin + MORNING_FROM_MIN + 1440) % 1440;
    if (rule.countedMs() - rule.awakeMs() > HOUR_MS && sinceEnd < 12 * 60 && !this.#morning.has(local.day)) {
      this.#morning.set(local.day, local.minuteOfDay);
      for (const d of [...this.#morning.keys()]) if (d <= local.day - this.#days) this.#morning.delete(d);
    }
  }

  /**
   * The latest first sign of the morning in the days looked back over, when learned; of weekdays
   * only or weekend days only, as today is (people sleep in at the weekend).
   */
  #usualMorningMin(today: number): { min: number; days: number } | undefined {
    let latest = -1;
    let n = 0;
    let all = 0;
    const weekend = (d: number) => weekdayOf(d) >= 5;
    for (const [d, m] of this.#morning) {
      if (d <= today - this.#days || d >= today) continue;
      all++;
      if (weekend(d) !== weekend(today)) continue;
      n++;
      // Minutes after the start of the morning window, so that a window across midnight compares.
      const rel = (m - this.#sleepEndMin + MORNING_FROM_MIN + 1440) % 1440;
      latest = Math.max(latest, rel);
    }
    if (all < USUAL_STILLNESS_DEFAULTS.minDays || n < 4) return undefined;
    return { min: (latest + this.#sleepEndMin - MORNING_FROM_MIN + 1440) % 1440, days: n };
  }

  /**
   * Nobody up yet after the night, later than on any morning in the days looked back over (plus a
   * margin): asked about once a day, outside the sleep window.
   */
  #morningFinding(
    rule: SilenceRule,
    nowMono: number,
    local: LocalTime,
  ): { verdict: SilenceVerdict; usual: UsualEvidence } | undefined {
    if (this.#morningAsked === local.day || rule.countedMs() - rule.awakeMs() <= HOUR_MS) return undefined;
    const usual = this.#usualMorningMin(local.day);
    if (!usual) return undefined;
    const due = usual.min + MORNING_MARGIN_MS / MINUTE_MS;
    const since = (local.minuteOfDay - due + 1440) % 1440;
    if (since >= 60) return undefined;
    this.#morningAsked = local.day;
    const hh = String(Math.floor(usual.min / 60)).padStart(2, "0");
    const mm = String(usual.min % 60).padStart(2, "0");
    return {
      verdict: {
        rule: "morning_deadline",
        silenceMs: nowMono - rule.lastActivityMono(),
        countedMs: rule.countedMs(),
        thresholdMs: nowMono - rule.lastActivityMono(),
        night: false,
      },
      usual: { measure: "morning", usual_up: `${hh}:${mm}`, days: usual.days },
    };
  }

  /**
   * Both stillnesses start again from `mono`: after an alert, away or a restart they teach nothing;
   * `ordinary` (the person answered "I am fine") they were usual ones.
   */
  restart(mono: number, ordinary = false): void {
    if (ordinary) {
      this.silence.commit();
      this.anySign.commit();
    } else this.discard();
    this.#anyRule.resetTo(mono);
  }

  discard(): void {
    this.silence.discard();
    this.anySign.discard();
  }

  /**
   * Every tick, after the rules' check: counts, learns, and with `use` (once learned) finds a
   * stillness longer than usual (the first of the two). `rule`: the rules' silence.
   */
  check(
    rule: SilenceRule,
    nowMono: number,
    local: LocalTime,
    o: { paused: boolean; factor: number; use: boolean },
  ): { verdict: SilenceVerdict; usual: UsualEvidence } | undefined {
    // Fields named, not `...o`: a spread of this object cost more than the rest of the tick (a profile).
    this.#anyRule.check(nowMono, local, {
      paused: o.paused,
      factor: o.factor,
      lastActivityWallMs: 0,
      sleepEndWallMs: 0,
    });
    if (o.paused || rule.isNight(local)) return undefined;
    if (o.use) {
      const morning = this.#morningFinding(rule, nowMono, local);
      if (morning) return morning;
    }
    const measures = [
      ["silence", rule, this.silence],
      ["any_sign", this.#anyRule, this.anySign],
    ] as const;
    let found: { verdict: SilenceVerdict; usual: UsualEvidence } | undefined;
    for (const [measure, r, learned] of measures) {
      const awake = r.awakeMs();
      // Began in the night (not in its last hour, when an early riser is up): someone not up yet.
      if (r.countedMs() - awake > HOUR_MS) continue;
      learned.observe(local.day, local.hour, awake);
      if (found || !o.use || !learned.ready(local.day)) continue;
      const limit = learned.limitMs(local.day, local.hour) * o.factor;
      if (awake < limit) continue;
      found = {
        verdict: {
          rule: "max_silence_day",
          silenceMs: nowMono - r.lastActivityMono(),
          countedMs: r.countedMs(),
          thresholdMs: Math.round(limit),
          night: false,
        },
        usual: {
          measure,
          usual_s: Math.round(learned.usualMs(local.day, local.hour) / SECOND_MS),
          days: learned.daysSeen(local.day),
        },
      };
    }
    return found;
  }

  toJSON(): UsualStillnessSnapshot {
    return {
      v: 2,
      silence: this.silence.toJSON(),
      any_sign: this.anySign.toJSON(),
      morning: Object.fromEntries([...this.#morning].map(([d, m]) => [String(d), m])),
    };
  }

  restore(s: UsualStillnessSnapshot): void {
    if (s?.v !== 2) return;
    this.silence.restore(s.silence);
    this.anySign.restore(s.any_sign);
    this.#morning = new Map();
    for (const [k, m] of Object.entries(s.morning ?? {}))
      if (Number.isInteger(Number(k)) && Number.isInteger(m) && m >= 0 && m < 1440)
        this.#morning.set(Number(k), m);
  }
}
