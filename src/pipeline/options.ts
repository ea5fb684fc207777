import { DETECTION_CONFIG_DEFAULTS } from "../config/detection-defaults.js";
import type { HealthConfig } from "../config/health-schema.js";
import type { DetectionConfig } from "../config/schema.js";
import type { AlertKind, WatchLevel } from "../contract/messages.js";
import type { Clock } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { Logger } from "../core/log.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../core/time.js";
import type { ButtonAction } from "../profiles/bthome.js";
import type { HeardEvery } from "../profiles/common.js";
import type { SilenceWindow } from "./inactivity.js";
import type { MessageSink, ModelStore, PrealarmPrompt } from "./ports.js";

export interface DetectionOptions {
  sleepStartMin: number;
  sleepEndMin: number;
  maxSilenceDayMs: number;
  maxSilenceNightMs: number;
  escalateAfterMs: number;
  /** Until the home's machines are learned, a rise in power at least this big (W) counts. */
  powerStepW: number;
  /** Time-of-day windows with their own day limit. */
  windows?: readonly SilenceWindow[];
  /** Minutes after midnight; undefined: no morning deadline. */
  morningDeadlineMin?: number;
  /** The morning deadline needs at least this much silence. */
  morningMinSilenceMs?: number;
  /** Never count a power step below this (W). */
  minStepW?: number;
  /** How long a meter is watched before its learned standby band and machines are trusted. */
  powerLearnMs?: number;
  leakAfterMs?: number;
  leakGapMs?: number;
  /** A sense silent this long is `monitoring_degraded`. */
  degradedAfterMs?: number;
  /** Mains below this is a power cut. */
  outageVoltageV?: number;
  /** Heightened watch multiplies every limit by this. */
  heightenedFactor?: number;
  /** Use the learned routine once it has this many days. */
  learningDays?: number;
  /** false: rules alone. */
  routine?: boolean;
  /** The routine alarms when the silence so far had less than this probability. */
  routineAlpha?: number;
  /** …and never for a silence shorter than this. */
  routineMinSilenceMs?: number;
  /** How slowly the routine adapts (weeks). */
  routineSlowWeeks?: number;
  /**
   * From this many minutes into the sleep window, a home still drawing clearly more power than on
   * usual nights (lights or television left on) with no activity for `lightsOnSilenceMs` is an
   * inactivity alert; 0 or less: no such check.
   */
  lightsOnAfterMin?: number;
  lightsOnSilenceMs?: number;
  /** Send a daily summary. */
  summary?: boolean;
  /** Water and energy used in the summary (privacy). */
  summaryMeterValues?: boolean;
  /** Ask the person and wait this long before an inactivity alert; 0: no pre-alarm (the alert at once). */
  prealarmWaitMs?: number;
  /** Inside the sleep window: no prompt, a prompt only when lights are on, or always a prompt. */
  prealarmInSleep?: PrealarmInSleep;
  /** While the pre-alarm is on: the day limit, the routine's alpha and minimum silence (default: the usual). */
  prealarmMaxSilenceDayMs?: number;
  prealarmRoutineAlpha?: number;
  prealarmRoutineMinSilenceMs?: number;
  /**
   * Find a daytime silence longer than this home is usually still at this hour (usual-stillness.ts).
   * Only while the pre-alarm is on (`prealarmUsualStillness`): it asks more often than the rules.
   */
  usualStillness?: boolean;
  prealarmUsualStillness?: boolean;
  /** The usual stillness's floor and margin (default: USUAL_STILLNESS_DEFAULTS). */
  usualStillnessFloorMs?: number;
  usualStillnessMargin?: number;
  /** The silence measure waits until nothing at all was seen for this long (default: SILENCE_QUIET_MS). */
  usualStillnessSilenceQuietMs?: number;
  /** Lone night triggers beyond the usual most before one is asked about (default: NIGHT_MOTION_SLACK). */
  usualStillnessNightMotionSlack?: number;
  /** Past the latest usual first sign of the morning by this much, nobody up yet is asked about. */
  usualStillnessMorningMarginMs?: number;
  /** Daily check-in: "I am fine" between the end of the sleep window and this (minutes after midnight). */
  checkinByMin?: number;
  /**
   * Outings (outings.ts; only where a device reports the `door` channel): a door event then no sign
   * of anyone inside for this long is an outing.
   */
  outingSettleMs?: number;
  /** An outing longer than this raises `not_home`. */
  outingMaxDayMs?: number;
  /** An outing that has lasted this long inside the sleep window raises `not_home`. */
  outingSleepGraceMs?: number;
  /** Device ids of the entrance doors; empty (default): every device reporting `door`. */
  outingDoors?: readonly string[];
}

export type PrealarmInSleep = "never" | "lights_on" | "always";

/** Options that have no default: absent, the feature (or the override) is not there. */
type Unset =
  | "windows"
  | "morningDeadlineMin"
  | "prealarmMaxSilenceDayMs"
  | "prealarmRoutineAlpha"
  | "prealarmRoutineMinSilenceMs"
  | "prealarmUsualStillness"
  | "usualStillnessFloorMs"
  | "usualStillnessMargin"
  | "usualStillnessSilenceQuietMs"
  | "usualStillnessNightMotionSlack"
  | "usualStillnessMorningMarginMs"
  | "checkinByMin";

/**
 * Detection options with every default filled in. The time-of-day windows and the morning deadline
 * stay optional: absent, there are none.
 */
export type ResolvedDetection = Required<Omit<DetectionOptions, Unset>> & DetectionOptions;

export interface PipelineOptions {
  home: string;
  timeZone: string;
  clock: Clock;
  ids: IdSource;
  sink: MessageSink;
  log: Logger;
  detection: DetectionOptions;
  /** What a button event means for a device (from its profile); unknown events are activity only. */
  buttonAction: (device: string, event: string) => ButtonAction | undefined;
  /** Health monitors (config `health`): off when absent or not enabled. */
  health?: HealthConfig;
  /** Smallest water step that counts (m³); default 0.001. */
  waterResolutionM3?: number;
  /** One telemetry message per device per slot this long, every device's together (telemetry.ts); 0: every reading. */
  telemetryIntervalMs?: number;
  /** false: no telemetry at all (replay without --telemetry). Default true. */
  telemetry?: boolean;
  /** Learned models survive restarts here. */
  store?: ModelStore;
  /** Commissioning mode's rule (commissioning.ts): which alerts go out as `test` instead. */
  downgrade?: (kind: AlertKind) => Record<string, unknown> | undefined;
  /**
   * Per device id, how often it is heard when well (its profile's or config's `heard_every`): its
   * silence is judged against that (coverage.ts). Absent for a device: `degradedAfterMs` alone.
   */
  heardEvery?: ReadonlyMap<string, HeardEvery>;
  /** Devices that should report readings: missing from the start, they are `monitoring_degraded`. */
  expectedDevices?: readonly string[];
  /** Watch level at the start (from config); default normal. */
  watch?: WatchLevel;
  /** Where the pre-alarm's prompts go (the agent's outputs); absent: nobody hears them. */
  prompt?: PrealarmPrompt;
}

/** The options the config may leave absent (no default). */
type ConfigUnset = Exclude<Unset, "windows" | "morningDeadlineMin">;

/** What the config sets: every detection option but `powerLearnMs`. */
export type ConfiguredDetection = Required<Omit<DetectionOptions, "powerLearnMs" | ConfigUnset>> &
  Pick<DetectionOptions, ConfigUnset>;

/**
 * The pre-alarm's wait from the config: `on` → its wait, `off` → 0, `auto` → its wait only when
 * `auto` resolves as on (the agent: an audible output is configured; replay and eval: a flag).
 */
export function prealarmWaitMs(c: DetectionConfig, autoOn: boolean): number {
  const e = c.prealarm.enabled;
  return e === "on" || (e === "auto" && autoOn) ? c.prealarm.wait : 0;
}

/**
 * The pipeline's detection options from the config's `detection` section. `prealarmAuto`: how the
 * pre-alarm's `enabled: auto` resolves (default off: nobody hears a prompt).
 */
export function detectionOptions(
  c: DetectionConfig,
  prealarmAuto = false,
  motionSensor = false,
): ConfiguredDetection {
  const limits = c.prealarm.limits;
  const usual = limits.usual_stillness;
  const senses = senseDefaults(motionSensor);
  return {
    sleepStartMin: c.sleep_window.start,
    sleepEndMin: c.sleep_window.end,
    maxSilenceDayMs: c.max_silence_day,
    maxSilenceNightMs: c.max_silence_night,
    escalateAfterMs: c.escalate_after,
    powerStepW: c.power_step_w,
    windows: c.windows.map((w) => ({ startMin: w.start, endMin: w.end, maxSilenceMs: w.max_silence })),
    morningDeadlineMin: c.morning_deadline,
    morningMinSilenceMs: c.morning_min_silence,
    lightsOnAfterMin: Math.round(c.lights_on_after / MINUTE_MS),
    lightsOnSilenceMs: c.lights_on_silence,
    minStepW: c.min_step_w,
    leakAfterMs: c.leak_after,
    leakGapMs: c.leak_gap,
    degradedAfterMs: c.degraded_after,
    outageVoltageV: c.outage_voltage_v,
    heightenedFactor: c.heightened_factor,
    routine: c.routine.enabled,
    learningDays: c.routine.learning_days,
    routineAlpha: c.routine.alpha ?? senses.routineAlpha,
    routineMinSilenceMs: c.routine.min_silence,
    routineSlowWeeks: c.routine.adapt_weeks,
    summary: c.summary.enabled,
    summaryMeterValues: c.summary.meter_values,
    prealarmWaitMs: prealarmWaitMs(c, prealarmAuto),
    prealarmInSleep: c.prealarm.in_sleep_window,
    prealarmMaxSilenceDayMs: limits.max_silence_day ?? senses.prealarmMaxSilenceDayMs,
    prealarmRoutineAlpha: limits.routine_alpha ?? senses.prealarmRoutineAlpha,
    ...(limits.min_silence !== undefined ? { prealarmRoutineMinSilenceMs: limits.min_silence } : {}),
    usualStillness: false,
    prealarmUsualStillness: usual === "on" || (usual === "auto" && motionSensor),
    ...(c.checkin.by !== undefined ? { checkinByMin: c.checkin.by } : {}),
    outingSettleMs: c.outing.settle,
    outingMaxDayMs: c.outing.max_day,
    outingSleepGraceMs: c.outing.sleep_grace,
    outingDoors: c.outing.doors,
  };
}

/**
 * The defaults that depend on what the home has. A motion or presence sensor gives far more evidence
 * per quiet hour than the meters, so the routine can be stricter; with the pre-alarm on it also
 * learns the home's usual stillness, which asks first, so the day limit need only catch what that
 * misses, and is set so that its alert, after the pre-alarm's default 10-minute wait, still comes
 * within 4 h. Chosen on the tuning seeds (docs/DETECTION.md, "Sensing tiers and the pre-alarm" and
 * "Usual stillness"); `hearth eval`'s tiers use the same values.
 */
export function senseDefaults(motionSensor: boolean): {
  routineAlpha: number;
  prealarmMaxSilenceDayMs: number;
  prealarmRoutineAlpha: number;
} {
  return motionSensor
    ? {
        routineAlpha: 0.0003,
        prealarmMaxSilenceDayMs: 3 * HOUR_MS + 50 * MINUTE_MS,
        prealarmRoutineAlpha: 0.0003,
      }
    : { routineAlpha: 0.001, prealarmMaxSilenceDayMs: 6 * HOUR_MS, prealarmRoutineAlpha: 0.002 };
}

/** The water resolution in m³ from the config (litres). */
export function waterResolutionM3(c: DetectionConfig): number {
  return c.water_resolution_l / 1000;
}

/**
 * There is one table of detection defaults: the config schema's (src/config/schema.ts), copied as plain
 * data to detection-defaults.ts (a test keeps the two equal), so a default changed there is the default here too.
 */
const CONFIG_DEFAULTS = DETECTION_CONFIG_DEFAULTS;

/** Smallest water step that counts when the caller gives none (m³). */
export const DEFAULT_WATER_RESOLUTION_M3 = waterResolutionM3(CONFIG_DEFAULTS);

/**
 * The defaults of the options a caller may leave out. The time-of-day windows and the morning
 * deadline have none (absent, there are none). Only `powerLearnMs` is not in the config: not a
 * setting an installer tunes.
 */
function defaults(): Omit<ResolvedDetection, Unset> {
  const {
    windows: _windows,
    morningDeadlineMin: _deadline,
    prealarmMaxSilenceDayMs: _pd,
    prealarmRoutineAlpha: _pa,
    prealarmRoutineMinSilenceMs: _pm,
    prealarmUsualStillness: _pu,
    usualStillnessFloorMs: _uf,
    usualStillnessMargin: _um,
    usualStillnessSilenceQuietMs: _uq,
    usualStillnessNightMotionSlack: _un,
    usualStillnessMorningMarginMs: _umm,
    checkinByMin: _checkin,
    ...rest
  } = detectionOptions(CONFIG_DEFAULTS);
  return { ...rest, powerLearnMs: DAY_MS };
}

export const DETECTION_DEFAULTS: Readonly<Omit<ResolvedDetection, Unset>> = defaults();

/** `d` with a default for every option it leaves undefined. */
export function resolveDetection(d: DetectionOptions): ResolvedDetection {
  // Required fields of `d` stay; only the options left undefined take a default.
  return { ...DETECTION_DEFAULTS, ...(stripUndefined(d) as DetectionOptions) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
