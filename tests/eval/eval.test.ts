import { describe, expect, it } from "vitest";
import { figures, runCorpus } from "../../src/eval/evaluate.js";

/**
 * The CI-sized held-out evaluation: 20 simulated homes × 30 days, on seeds never used for tuning
 * (200001–200020), through the replay engine with the default detection settings and the learned
 * routine on. Floors of issue 5: at least 90 % of incidents detected within 12 h and at most 2 false
 * alarms per home-month. Measured at this commit: 95 % (19 of 20) and 1.05.
 */
describe("detection evaluation (CI corpus, held-out seeds)", () => {
  it("detects at least 90 % of incidents within 12 h with at most 2 false alarms per home-month", () => {
    const by = runCorpus(200_001, 20, 30, ["routine"]);
    const f = figures(by.get("routine") ?? []);
    expect(f.incidents).toBe(20);
    expect(f.detectedWithin12hPct).toBeGreaterThanOrEqual(90);
    expect(f.falseAlarmsPerHomeMonth).toBeLessThanOrEqual(2);
    expect(f.detectedWithin24hPct).toBe(100);
    // Announced time away never raises an inactivity alert.
    expect(f.falseAlarmsAway).toBe(0);
  }, 180_000);
});
