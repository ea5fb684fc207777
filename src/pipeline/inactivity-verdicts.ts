import type { WatchLevel } from "../contract/messages.js";
import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock } from "../core/clock.js";
import type { Reading } from "../core/readings.js";
import { HOUR_MS, SECOND_MS } from "../core/time.js";
import type { Activity } from "./activity.js";
import { EnergyPower } from "./energy-power.js";
import { SilenceRule, type SilenceVerdict } from "./inactivity.js";
import type { LocalClock, LocalTime } from "./local-time.js";
import { NightLights } from "./night-lights.js";
import { nightOf } from "./night-motion.js";
import type { ResolvedDetection } from "./options.js";
import type { Routine } from "./routine.js";
import { type UsualEvidence, UsualStillnessVerdict } from "./usual-stillness-verdict.js";

/** A silence worth an inactivity alert, and which of the three verdicts found it. */
export interface InactivityFinding {
  verdict: SilenceVerdict;
  /** Set when the learned routine found the silence too unlikely. */
  expected?: { quiet_probability: number; usual_activity_this_hour: number };
  /** Set when lights (or a television) were left on into the night. */
  power?: { lights_on_w: number; usual_night_w: number };
  /** A rule of its own, not a silence limit (`checkin_missed`). */
  rule?: string;
  /** Set for a missed daily check-in: its deadline, local "HH:MM". */
  checkin?: { by: string };
  /** Set when the silence is longer than this home is usually still at this hour. */
  usual?: UsualEvidence;
}

/** The evidence about the last activity that inactivity alerts carry. */
export function lastActivityEvidence(
  a: Activity | undefined,
  clock: Clock,
  timeZone: string,
): Record<string, unknown> {
  if (!a) return { last_activity: null };
  const agoMs = clock.monotonicMs() - a.mono;
  return {
    last_activity: {
      at: isoWithOffset(clock.wallMs() - agoMs, timeZone),
      source: a.source,
      device: a.device,
      strength: a.strength,
      detail: a.detail,
    },
  };
}

/** The rule a finding names in its evidence (and a pre-alarm in its event). */
export function findingRule(f: InactivityFinding): string {
  if (f.rule) return f.rule;
  if (f.usual) return "usual_stillness";
  return f.expected ? "learned_routine" : f.power ? "lights_left_on" : f.verdict.rule;
}

/** An inactivity alert's evidence, in the order the contract's examples show it. */
export function inactivityEvidence(
  f: InactivityFinding,
  lastActivity: Record<string, unknown>,
  watch: WatchLevel,
): Record<string, unknown> {
  const v = f.verdict;
  return {
    ...lastActivity,
    silence_s: Math.round(v.silenceMs / SECOND_MS),
    counted_s: Math.round(v.countedMs / SECOND_MS),
    threshold_s: Math.round(v.thresholdMs / SECOND_MS),
    rule: findingRule(f),
    ...(f.power ? { power: f.power } : {}),
    ...(f.checkin ? { checkin: f.checkin } : {}),
    ...(f.usual ? { usual: f.usual } : {}),
    watch,
    ...(f.expected ? { expected: f.expected } : {}),
  };
}

/**
 * The current silence and the three verdicts on it: the rules (day and night limits, the morning
 * deadline), lights left on into the night, and the learned routine. Silence is measured from the
 * last activity, a return from away, or an acknowledgement.
 */
export class InactivityVerdicts {
  readonly #d: ResolvedDetection;
  readonly #clock: Clock;
  readonly #lc: LocalClock;
  readonly #routine: Routine;
  readonly #rule: SilenceRule;
  readonly #lights = new NightLights();
  /**
   * With the pre-alarm on, a meter without a power register shows lights left on too, from its energy
   * register (coarser: asked first, as every finding then is). Without the pre-alarm, as before.
   */
  readonly #energy: EnergyPower | undefined;
  /** Half-hour key of the last NightLights roll. */
  #halfHourKey = -1;
  #lastActivity: Activity | undefined;
  /** Wall time the current silence is measured from. */
  #silenceFromWall = 0;
  /** How long the person is usually still, hour by hour (learned always, used when `usualStillness`). */
  readonly stillness: UsualStillnessVerdict;

  constructor(d: ResolvedDetection, clock: Clock, lc: LocalClock, routine: Routine) {
    this.#d = d;
    this.#clock = clock;
    this.#lc = lc;
    this.#routine = routine;
    this.#energy = d.prealarmWaitMs > 0 ? new EnergyPower() : undefined;
    this.stillness = new UsualStillnessVerdict(
      {
        sleepStartMin: d.sleepStartMin,
        sleepEndMin: d.sleepEndMin,
        ...(d.usualStillnessFloorMs !== undefined ? { floorMs: d.usualStillnessFloorMs } : {}),
        ...(d.usualStillnessMargin !== undefined ? { margin: d.usualStillnessMargin } : {}),
        ...(d.usualStillnessSilenceQuietMs !== undefined
          ? { silenceQuietMs: d.usualStillnessSilenceQuietMs }
          : {}),
        ...(d.usualStillnessNightMotionSlack !== undefined
          ? { nightMotionSlack: d.usualStillnessNightMotionSlack }
          : {}),
        ...(d.usualStillnessMorningMarginMs !== undefined
          ? { morningMarginMs: d.usualStillnessMorningMarginMs }
          : {}),
      },
      clock.monotonicMs(),
    );
    this.#rule = new SilenceRule(
      {
        sleepStartMin: d.sleepStartMin,
        sleepEndMin: d.sleepEndMin,
        maxSilenceDayMs: d.maxSilenceDayMs,
        maxSilenceNightMs: d.maxSilenceNightMs,
        ...(d.windows ? { windows: d.windows } : {}),
        ...(d.morningDeadlineMin !== undefined ? { morningDeadlineMin: d.morningDeadlineMin } : {}),
        morningMinSilenceMs: d.morningMinSilenceMs,
      },
      clock.monotonicMs(),
    );
  }

  get lastActivity(): Activity | undefined {
    return this.#lastActivity;
  }

  /** A new silence starts at `nowMono` / `wallMs` (the start, a return from away, an acknowledgement). */
  restart(nowMono: number, wallMs: number, ordinary = false): void {
    this.stillness.restart(nowMono, ordinary);
    this.stillness.nightMotion.answered(ordinary);
    this.stillness.nightMotion.clear();
    this.#rule.resetTo(nowMono);
    this.#silenceFromWall = wallMs;
  }

  /**
   * An activity that happened at wall time `wallMs`; `up`: it shows someone is up, and ends the
   * silence (silence-evidence.ts). Any activity ends the time without any sign.
   */
  activity(a: Activity, wallMs: number, up = true): void {
    const ends = up && a.mono > this.#rule.lastActivityMono();
    const local = this.#lc.at(wallMs);
    if (this.#d.usualStillness)
      this.stillness.nightMotion.activity(
        a,
        up,
        this.stillness.pastBedtime(local),
        a.mono - this.#rule.lastActivityMono(),
      );
    this.stillness.sign(a.mono, ends, local, this.#rule);
    if (!up) return;
    this.#lastActivity = a;
    this.#silenceFromWall = wallMs;
    this.#rule.activity(a.mono);
  }

  /**
   * Whether lights (or a television) are on now: the home draws clearly more than on usual nights
   * (by at least the smallest power step) through this half hour so far. False while the usual night
   * is not learned yet (no baseline: we cannot tell).
   */
  lightsOnNow(): boolean {
    return this.#lights.onNowW() >= this.#d.minStepW;
  }

  /** The current silence as a verdict's figures (for findings of other rules, e.g. a missed check-in). */
  silenceNow(nowMono: number, local: LocalTime): SilenceVerdict {
    const counted = this.#rule.countedMs();
    return {
      rule: this.#rule.isNight(local) ? "max_silence_night" : "max_silence_day",
      silenceMs: nowMono - this.#rule.lastActivityMono(),
      countedMs: counted,
      thresholdMs: counted,
      night: this.#rule.isNight(local),
    };
  }

  /** A meter's reading outside a power cut: what the home draws, for lights left on. */
  meter(r: Reading, wallMs: number): void {
    if (r.channel === "power_w") {
      this.#energy?.powerSeen(r.device);
      this.#lights.power(r.value);
    } else if (r.channel === "energy_total_kwh" && this.#energy) {
      const w = this.#energy.energy(r.device, wallMs, r.value);
      if (w !== undefined) this.#lights.power(w);
    }
  }

  /**
   * At every tick: when a new half hour has begun, the last one closes; in the small hours, with
   * `learn` (a quiet, observed hour), it teaches the usual night-time power.
   */
  rollHalfHour(local: LocalTime, learn: () => boolean): void {
    const half = local.day * 48 + Math.floor(local.minuteOfDay / 30);
    if (half === this.#halfHourKey) return;
    if (this.#halfHourKey >= 0) this.#lights.roll(local.hour >= 2 && local.hour < 5, learn());
    this.#halfHourKey = half;
  }

  /**
   * Looks at the silence now (every tick: the rules count observed time as it passes). `paused`: the
   * time since the last tick is not counted; `factor` shortens every limit; `mute` (away, out, or an
   * inactivity alert already open): no finding; `asking` (a pre-alarm waits for its answer): no new
   * finding, but the silence goes on (an answer makes it an ordinary one).
   */
  check(
    nowMono: number,
    wallMs: number,
    local: LocalTime,
    o: { paused: boolean; factor: number; mute: boolean; asking?: boolean },
  ): InactivityFinding | undefined {
    const { paused, factor } = o;
    const v = this.#rule.check(nowMono, local, {
      paused,
      factor,
      lastActivityWallMs: this.#silenceFromWall,
      sleepEndWallMs: this.#lc.wallOf(local.day, this.#d.sleepEndMin),
    });
    const use = this.#d.usualStillness && !o.mute;
    const still = this.stillness.check(this.#rule, nowMono, local, { paused, factor, use });
    if (o.mute) {
      // Away, out, or an alert open: this silence is not an ordinary one.
      this.stillness.discard();
      this.stillness.nightMotion.clear();
      return undefined;
    }
    if (o.asking) return undefined;
    if (v) return { verdict: v };
    if (!paused) {
      const lights = this.#lightsLeftOn(local, factor);
      if (lights) return lights;
      const moved = this.stillness.nightMotion.due(nowMono, nightOf(local));
      if (moved) return { verdict: this.silenceNow(nowMono, local), rule: "night_motion" };
      if (still) return still;
    }
    if (!this.#d.routine || paused || !this.#routine.ready()) return undefined;
    const counted = this.#rule.countedMs();
    if (counted < this.#d.routineMinSilenceMs * factor) return undefined;
    const q = this.#quietProbability(this.#silenceFromWall, wallMs);
    if (!(q < this.#d.routineAlpha / factor)) return undefined;
    return {
      verdict: {
        rule: "max_silence_day",
        silenceMs: nowMono - this.#rule.lastActivityMono(),
        countedMs: counted,
        thresholdMs: counted,
        night: this.#rule.isNight(local),
      },
      expected: {
        quiet_probability: Math.round(q * 1e5) / 1e5,
        usual_activity_this_hour: Math.round(this.#routine.p(local.hourOfWeek) * 100) / 100,
      },
    };
  }

  /**
   * At `lightsOnAfterMin` into the sleep window and the two half hours after: lights left on (the home
   * drew clearly more than on usual nights throughout the last hour) and a long silence.
   */
  #lightsLeftOn(local: LocalTime, factor: number): InactivityFinding | undefined {
    const after = this.#d.lightsOnAfterMin;
    if (after === undefined || after <= 0 || local.minuteOfDay % 30 !== 0) return undefined;
    const start = this.#d.sleepStartMin;
    const into = (local.minuteOfDay - start + 1440) % 1440;
    const length = (this.#d.sleepEndMin - start + 1440) % 1440;
    // Three looks, an hour apart at most: later in the night a light on is less telling than the
    // morning deadline, and a compressor's long run would be mistaken for one.
    if (into < after || into > after + 60 || into >= length) return undefined;
    const excess = this.#lights.excessW();
    const counted = this.#rule.countedMs();
    if (!(excess >= this.#d.minStepW) || counted < this.#d.lightsOnSilenceMs * factor) return undefined;
    return {
      verdict: {
        rule: "max_silence_night",
        silenceMs: this.#clock.monotonicMs() - this.#rule.lastActivityMono(),
        countedMs: counted,
        thresholdMs: this.#d.lightsOnSilenceMs * factor,
        night: true,
      },
      power: { lights_on_w: Math.round(excess), usual_night_w: Math.round(this.#lights.baseW()) },
    };
  }

  /** P(no activity at all from `fromWall` to `toWall`) under the learned routine, hour by hour. */
  #quietProbability(fromWall: number, toWall: number): number {
    const hours: [number, number][] = [];
    let t = fromWall;
    for (let i = 0; i < 48 && t < toWall; i++) {
      const off = this.#lc.offsetMs(t);
      const hourEnd = (Math.floor((t + off) / HOUR_MS) + 1) * HOUR_MS - off;
      const end = Math.min(hourEnd, toWall);
      hours.push([this.#lc.at(t).hourOfWeek, (end - t) / HOUR_MS]);
      t = end;
    }
    return this.#routine.quietProbability(hours);
  }
}
