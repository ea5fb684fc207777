import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../core/time.js";
import { SilenceRule, type SilenceRuleOptions, type SilenceVerdict } from "./inactivity.js";
import { type LocalTime, weekdayOf } from "./local-time.js";
import { NightMotion, type NightMotionState } from "./night-motion.js";
import { UsualBedtime } from "./usual-bedtime.js";
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
  /**
   * Set when found inside the installer's sleep window but before this person's latest usual
   * bedtime (local "HH:MM"): still their day, so the pre-alarm asks as by day.
   */
  before_bedtime?: string;
}

/**
 * Past the latest usual first sign of the morning by this much, nobody up yet is asked about; with
 * the pre-alarm's wait (10 min) an unanswered prompt is an alert about 50 min past it. It was 20 min:
 * such prompts may find the person still asleep (who answers less often), 40 min asked 15 % fewer
 * prompts in all (tuning seeds 1–250), and the 20 minutes they gave a night incident were worth less
 * than the shorter daytime margin the freed prompts pay for (`USUAL_STILLNESS_DEFAULTS.margin`
 * 0.15 → 0.1; tuning seeds 1–750, docs/DETECTION.md, "The morning's prompts spent by day"). The
 * morning deadline itself does not move.
 */
const MORNING_MARGIN_MS = 40 * MINUTE_MS;
/** In the sleep window, a silence must have begun this long before the earliest usual bedtime. */
const BEDTIME_MARGIN_MIN = 30;
/**
 * The night's first silence this long that reaches into the sleep window began at bedtime (night
 * toilet visits come later than this after going to bed).
 */
const BEDTIME_SILENCE_MIN = 40;
/** A first sign this long before the end of the sleep window, or later, is the morning's. */
const MORNING_FROM_MIN = 180;
/**
 * The silence measure finds nothing while anything at all was seen within this long. It is there for
 * a person on the floor who still moves a little (a lone PIR trigger now and then, 0–1.5 an hour in
 * the simulator, fading); a person up and about whom the PIR sees only now and then, never three
 * times within 30 min, makes the same long silence with triggers minutes apart. Waiting for 20 min
 * without any sign asked those people far less often (tuning seeds 1–50, × 1.2: 3.65 → 2.89 prompts
 * a home-month, detection the same), for a few minutes' delay when a fallen person twitched just
 * before (docs/DETECTION.md, "What decides a typical daytime detection").
 */
export const SILENCE_QUIET_MS = 20 * MINUTE_MS;

export interface UsualStillnessSnapshot {
  v: 2;
  silence: UsualStillnessState;
  any_sign: UsualStillnessState;
  /** Local day → the minute of the day's first sign of someone up after the night. */
  morning?: Record<string, number>;
  /** Local day of the bedtime sign → its minute of the day (usual-bedtime.ts). */
  bedtime?: Record<string, number>;
  night_motion?: NightMotionState;
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
  /** Lone movement in the night, asked about where it is not usual (night-motion.ts). */
  readonly nightMotion: NightMotion;
  /**
   * The two measures' own counting (no limits): since the last sign of someone up, and since the
   * last sign of any kind. Their day ends at the person's usual bedtime, not at the start of the
   * sleep window (`#win`, moved each check).
   */
  readonly #silRule: SilenceRule;
  readonly #anyRule: SilenceRule;
  /** Each measure's name, counting and learning, gone over every tick (built once: a profile). */
  readonly #measures: readonly (readonly ["silence" | "any_sign", SilenceRule, UsualStillness])[];
  readonly #win: SilenceRuleOptions;
  readonly #bedtime: UsualBedtime;
  readonly #sleepStartMin: number;
  readonly #sleepEndMin: number;
  readonly #days: number;
  readonly #silenceQuietMs: number;
  readonly #morningMarginMs: number;
  /** Local day → minute of the morning's first sign of someone up. */
  #morning = new Map<number, number>();
  /** The start of the night's first long silence (local day and minute), until it ends ordinarily. */
  #bedtimePending: { day: number; min: number } | undefined;
  /** Local day of the last bedtime taken (one a night). */
  #bedtimeDay = -1;
  /** The rules' silence began at a sign of someone up (not at a start, an alert or a return). */
  #fromSign = false;
  /** Local day the morning finding was last made (once a day). */
  #morningAsked = -1;

  constructor(
    o: {
      sleepStartMin: number;
      sleepEndMin: number;
      silenceQuietMs?: number;
      nightMotionSlack?: number;
      morningMarginMs?: number;
    } & Partial<Pick<UsualStillnessOptions, "floorMs" | "margin">>,
    nowMono: number,
  ) {
    const learn = { floorMs: o.floorMs, margin: o.margin };
    this.#silenceQuietMs = o.silenceQuietMs ?? SILENCE_QUIET_MS;
    this.#morningMarginMs = o.morningMarginMs ?? MORNING_MARGIN_MS;
    this.nightMotion = new NightMotion(o.nightMotionSlack !== undefined ? { slack: o.nightMotionSlack } : {});
    this.#sleepStartMin = o.sleepStartMin;
    this.#sleepEndMin = o.sleepEndMin;
    this.#days = USUAL_STILLNESS_DEFAULTS.days;
    this.silence = new UsualStillness(learn);
    this.anySign = new UsualStillness(learn);
    this.#bedtime = new UsualBedtime({
      sleepStartMin: o.sleepStartMin,
      days: this.#days,
      minDays: USUAL_STILLNESS_DEFAULTS.minDays,
    });
    // One window object for both: moving its start moves the day's end for both.
    this.#win = {
      sleepStartMin: o.sleepStartMin,
      sleepEndMin: o.sleepEndMin,
      maxSilenceDayMs: Number.POSITIVE_INFINITY,
      maxSilenceNightMs: Number.POSITIVE_INFINITY,
    };
    this.#silRule = new SilenceRule(this.#win, nowMono);
    this.#anyRule = new SilenceRule(this.#win, nowMono);
    this.#measures = [
      ["silence", this.#silRule, this.silence],
      ["any_sign", this.#anyRule, this.anySign],
    ];
  }

  /**
   * A sign at `mono` (local time `local`); `up`: it also ends the rules' silence (it shows someone is
   * up). `rule`: the rules' silence, before the sign ends it.
   */
  sign(mono: number, up: boolean, local: LocalTime, rule: SilenceRule): void {
    if (mono > this.#anyRule.lastActivityMono()) this.anySign.commit();
    this.#anyRule.activity(mono);
    if (!up) return;
    // The night's silence ended with someone up: its start was when they went to bed.
    if (this.#bedtimePending) this.#bedtime.record(this.#bedtimePending.day, this.#bedtimePending.min);
    this.#bedtimePending = undefined;
    this.#fromSign = true;
    this.#silRule.activity(mono);
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
   * In the night and past this person's latest usual bedtime (once learned; until then the sleep
   * window): a walk to bed after an hour in the armchair is not movement in the night.
   */
  pastBedtime(local: LocalTime): boolean {
    return this.#silRule.isNight(local);
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
    const due = usual.min + this.#morningMarginMs / MINUTE_MS;
    const since = (local.minuteOfDay - due + 1440) % 1440;
    if (since >= 60) return undefined;
    this.#morningAsked = local.day;
    return {
      verdict: {
        rule: "morning_deadline",
        silenceMs: nowMono - rule.lastActivityMono(),
        countedMs: rule.countedMs(),
        thresholdMs: nowMono - rule.lastActivityMono(),
        night: false,
      },
      usual: { measure: "morning", usual_up: hhmm(usual.min), days: usual.days },
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
    this.#fromSign = false;
    this.#silRule.resetTo(mono);
    this.#anyRule.resetTo(mono);
  }

  discard(): void {
    this.#bedtimePending = undefined;
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
    const ext = this.#bedtime.extensionMin(local.day);
    this.#win.sleepStartMin = (this.#sleepStartMin + ext) % 1440;
    // Fields named, not `...o`: a spread of this object cost more than the rest of the tick (a profile).
    const counting = { paused: o.paused, factor: o.factor, lastActivityWallMs: 0, sleepEndWallMs: 0 };
    this.#silRule.check(nowMono, local, counting);
    this.#anyRule.check(nowMono, local, counting);
    this.#noteBedtime(rule, nowMono, local);
    if (o.paused || this.#silRule.isNight(local)) return undefined;
    // In the sleep window, before the usual bedtime: still the person's day.
    const evening = rule.isNight(local);
    if (o.use && !evening) {
      const morning = this.#morningFinding(rule, nowMono, local);
      if (morning) return morning;
    }
    let found: { verdict: SilenceVerdict; usual: UsualEvidence } | undefined;
    const earliest = evening ? this.#bedtime.earliestMin(local.day) : undefined;
    for (const [measure, r, learned] of this.#measures) {
      const awake = r.awakeMs();
      // Past the start of the sleep window only a silence that began before this person's earliest
      // bedtime (by a margin) is still the day's: a later one may be them gone to bed.
      if (evening) {
        if (earliest === undefined) continue;
        const t = (earliest - BEDTIME_MARGIN_MIN + 1440) % 1440;
        const sinceT = ((local.minuteOfDay - t + 720 + 1440) % 1440) - 720;
        if ((nowMono - r.lastActivityMono()) / MINUTE_MS <= sinceT) continue;
      }
      // Began in the night (not in its last hour, when an early riser is up): someone not up yet.
      if (r.countedMs() - awake > HOUR_MS) continue;
      learned.observe(local.day, local.hour, awake);
      if (found || !o.use || !learned.ready(local.day)) continue;
      const limit = learned.limitMs(local.day, local.hour) * o.factor;
      if (awake < limit) continue;
      if (measure === "silence" && nowMono - this.#anyRule.lastActivityMono() < this.#silenceQuietMs)
        continue;
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
          ...(evening ? { before_bedtime: hhmm(this.#bedtime.bedtimeMin(local.day)) } : {}),
        },
      };
    }
    return found;
  }

  /**
   * The night's first silence of `BEDTIME_SILENCE_MIN` that reaches into the sleep window, begun in
   * the evening, began when the person went to bed (kept once it ends with someone up: an alert or away teaches nothing).
   */
  #noteBedtime(rule: SilenceRule, nowMono: number, local: LocalTime): void {
    const silenceMin = Math.round((nowMono - rule.lastActivityMono()) / MINUTE_MS);
    if (!this.#fromSign || !rule.isNight(local) || silenceMin < BEDTIME_SILENCE_MIN) return;
    const start = local.day * 1440 + local.minuteOfDay - silenceMin;
    const day = Math.floor(start / 1440);
    if (day <= this.#bedtimeDay || !this.#bedtime.isEvening(start - day * 1440)) return;
    this.#bedtimeDay = day;
    this.#bedtimePending = { day, min: start - day * 1440 };
  }

  toJSON(): UsualStillnessSnapshot {
    return {
      v: 2,
      silence: this.silence.toJSON(),
      any_sign: this.anySign.toJSON(),
      morning: Object.fromEntries([...this.#morning].map(([d, m]) => [String(d), m])),
      bedtime: this.#bedtime.toJSON(),
      night_motion: this.nightMotion.toJSON(),
    };
  }

  restore(s: UsualStillnessSnapshot): void {
    if (s?.v !== 2) return;
    this.silence.restore(s.silence);
    this.anySign.restore(s.any_sign);
    this.#bedtime.restore(s.bedtime);
    this.nightMotion.restore(s.night_motion);
    this.#morning = new Map();
    for (const [k, m] of Object.entries(s.morning ?? {}))
      if (Number.isInteger(Number(k)) && Number.isInteger(m) && m >= 0 && m < 1440)
        this.#morning.set(Number(k), m);
  }
}

/** Local minutes after midnight as "HH:MM". */
function hhmm(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, "0")}:${String(min % 60).padStart(2, "0")}`;
}
