import { beforeAll, describe, expect, it } from "vitest";
import { runTiers, type TierResult } from "../../src/eval/tiers.js";

/**
 * The CI-sized held-out evaluation of the sensing tiers with the pre-alarm: 20 simulated homes × 30
 * days on seeds never used for tuning (200001–200020), the person answering the prompts (the closed
 * loop), the tier knobs of src/eval/tiers.ts. Floors set with margin below the figures measured at
 * this commit:
 * - meters + pre-alarm: 19 of 20 within 12 h (95 %), 0.75 cloud false alarms and 1.8 local prompts a
 *   home-month;
 * - motion + door + pre-alarm: 20 of 20 within 12 h (100 %), 5 of 6 daytime incidents within 4 h
 *   (daytime median 2 h 14), 0.4 cloud false alarms and 3.15 local prompts a home-month, with the
 *   usual stillness (learned from day 14 of the 30), measured 2026-12-07, the same before and after
 *   lone night movement was counted (this comment's earlier 2 h 17, 0.45 and 2.75 were of an earlier
 *   round). Before the usual stillness: 0.9 and
 *   1.75; before motion restarted the silence only when it shows someone is up, a fallen person's PIR
 *   twitches hid 2 of the 20.
 */
describe("sensing tiers with the pre-alarm (CI corpus, held-out seeds)", () => {
  let meters: TierResult | undefined;
  let motionDoor: TierResult | undefined;
  beforeAll(() => {
    [meters, motionDoor] = runTiers(200_001, 20, 30, ["meters", "motion_door"], [true]);
  });

  it("meters + pre-alarm: ≥ 85 % within 12 h, ≤ 1.5 cloud false alarms and ≤ 4 prompts a home-month", () => {
    const f = meters?.figures;
    if (!f) throw new Error("no figures");
    expect(f.incidents).toBe(20);
    expect(f.detectedWithin12hPct).toBeGreaterThanOrEqual(85);
    expect(f.falseAlarmsPerHomeMonth).toBeLessThanOrEqual(1.5);
    expect(f.localPromptsPerHomeMonth).toBeLessThanOrEqual(4);
    expect(f.promptsAnswered).toBeGreaterThan(0);
    expect(f.falseAlarmsAway).toBe(0);
  });

  it("motion + door + pre-alarm: ≥ 90 % within 12 h, ≥ 3 of 6 daytime within 4 h, ≤ 1.5 cloud false alarms and ≤ 4 prompts a home-month", () => {
    const f = motionDoor?.figures;
    if (!f) throw new Error("no figures");
    expect(f.incidents).toBe(20);
    expect(f.detectedWithin12hPct).toBeGreaterThanOrEqual(90);
    expect(f.daytimeIncidents).toBe(6);
    expect(f.daytimeWithin4h).toBeGreaterThanOrEqual(3);
    expect(f.falseAlarmsPerHomeMonth).toBeLessThanOrEqual(1.5);
    expect(f.localPromptsPerHomeMonth).toBeLessThanOrEqual(4);
    expect(f.daytimeTtdMedianMin).toBeLessThanOrEqual(4 * 60);
    expect(f.falseAlarmsAway).toBe(0);
  });
});
