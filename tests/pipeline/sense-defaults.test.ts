import { describe, expect, it } from "vitest";
import { detectionSchema } from "../../src/config/schema.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { TIER_KNOBS } from "../../src/eval/tiers.js";
import { detectionOptions } from "../../src/pipeline/options.js";

describe("detection defaults follow what the home has", () => {
  it("meters and a button: routine 0.001; while the pre-alarm is on, 6 h and 0.002", () => {
    const d = detectionOptions(detectionSchema.parse({}), true, false);
    expect(d.routineAlpha).toBe(0.001);
    expect(d.prealarmMaxSilenceDayMs).toBe(6 * HOUR_MS);
    expect(d.prealarmRoutineAlpha).toBe(0.002);
    expect(d.prealarmUsualStillness).toBe(false);
  });

  it("with a motion or presence sensor: routine 0.0003; while the pre-alarm is on, 3 h 50 and 0.0003 and the usual stillness", () => {
    const d = detectionOptions(detectionSchema.parse({}), true, true);
    expect(d.routineAlpha).toBe(0.0003);
    expect(d.prealarmMaxSilenceDayMs).toBe(3 * HOUR_MS + 50 * MINUTE_MS);
    expect(d.prealarmRoutineAlpha).toBe(0.0003);
    expect(d.prealarmUsualStillness).toBe(true);
    // The day limit's alert, after the default wait, comes within 4 h.
    expect((d.prealarmMaxSilenceDayMs ?? 0) + (d.prealarmWaitMs ?? 0)).toBeLessThanOrEqual(4 * HOUR_MS);
  });

  it("a value set in the config wins over the sense's default", () => {
    const c = detectionSchema.parse({
      routine: { alpha: 0.002 },
      prealarm: { limits: { max_silence_day: "5h", routine_alpha: 0.01 } },
    });
    const d = detectionOptions(c, true, true);
    expect(d.routineAlpha).toBe(0.002);
    expect(d.prealarmMaxSilenceDayMs).toBe(5 * HOUR_MS);
    expect(d.prealarmRoutineAlpha).toBe(0.01);
  });

  it("the evaluation's tiers use the agent's defaults", () => {
    const motion = detectionOptions(detectionSchema.parse({}), true, true);
    const meters = detectionOptions(detectionSchema.parse({}), true, false);
    expect(TIER_KNOBS.motion_door.on).toMatchObject({
      routineAlpha: motion.routineAlpha,
      prealarmMaxSilenceDayMs: motion.prealarmMaxSilenceDayMs,
      prealarmRoutineAlpha: motion.prealarmRoutineAlpha,
    });
    expect(TIER_KNOBS.motion.off).toMatchObject({ routineAlpha: motion.routineAlpha });
    expect(TIER_KNOBS.meters.on).toMatchObject({
      prealarmMaxSilenceDayMs: meters.prealarmMaxSilenceDayMs,
      prealarmRoutineAlpha: meters.prealarmRoutineAlpha,
    });
  });
});
