import type { DetectionConfig } from "./schema.js";

/**
 * What the config schema's `detection` section is when the config leaves all of it out, as plain data:
 * the pipeline reads its defaults here, so that the agent (and `hearth replay`) do not load zod to
 * learn them. The schema (src/config/schema.ts) stays the one place a default is decided;
 * tests/config/detection-defaults.test.ts fails when this copy no longer equals `detectionSchema.parse({})`.
 */
export const DETECTION_CONFIG_DEFAULTS: DetectionConfig = {
  sleep_window: { start: 22 * 60, end: 7 * 60 },
  max_silence_day: 25_200_000,
  max_silence_night: 43_200_000,
  windows: [],
  morning_deadline: 10 * 60,
  morning_min_silence: 14_400_000,
  lights_on_after: 7_200_000,
  lights_on_silence: 7_200_000,
  escalate_after: 3_600_000,
  power_step_w: 150,
  min_step_w: 25,
  water_resolution_l: 1,
  leak_after: 7_200_000,
  leak_gap: 1_200_000,
  degraded_after: 2_700_000,
  outage_voltage_v: 100,
  gateway_power: "auto",
  watch: "normal",
  heightened_factor: 0.5,
  routine: { enabled: true, learning_days: 14, min_silence: 7_200_000, adapt_weeks: 8 },
  prealarm: {
    enabled: "auto",
    wait: 600_000,
    in_sleep_window: "lights_on",
    limits: { usual_stillness: "auto" },
  },
  checkin: {},
  summary: { enabled: true, meter_values: true },
  outing: { settle: 900_000, max_day: 21_600_000, sleep_grace: 3_600_000, doors: [] },
};
