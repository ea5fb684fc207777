import type { DetectionConfig } from "../config/schema.js";
import type { DetectionOptions } from "./pipeline.js";

/** The pipeline's detection options from the config's `detection` section. */
export function detectionOptions(c: DetectionConfig): DetectionOptions {
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
    lightsOnAfterMin: Math.round(c.lights_on_after / 60_000),
    lightsOnSilenceMs: c.lights_on_silence,
    minStepW: c.min_step_w,
    leakAfterMs: c.leak_after,
    leakGapMs: c.leak_gap,
    degradedAfterMs: c.degraded_after,
    outageVoltageV: c.outage_voltage_v,
    heightenedFactor: c.heightened_factor,
    routine: c.routine.enabled,
    learningDays: c.routine.learning_days,
    routineAlpha: c.routine.alpha,
    routineMinSilenceMs: c.routine.min_silence,
    routineSlowWeeks: c.routine.adapt_weeks,
    summary: c.summary.enabled,
    summaryMeterValues: c.summary.meter_values,
  };
}

/** The water resolution in m³ from the config (litres). */
export function waterResolutionM3(c: DetectionConfig): number {
  return c.water_resolution_l / 1000;
}
