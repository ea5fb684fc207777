import { describe, expect, it } from "vitest";
import { boundFigures, boundHome } from "../../src/eval/bound.js";
import { Household } from "../../src/sim/household.js";

describe("silence-only bound", () => {
  it("the household's actions are the person's, in time order, all before the incident", () => {
    const h = new Household({ seed: 7, days: 20 });
    const acts = h.actions();
    expect(acts.length).toBeGreaterThan(20 * 8);
    for (let i = 1; i < acts.length; i++) expect(acts[i]).toBeGreaterThanOrEqual(acts[i - 1] as number);
    expect(acts.every((t) => t < (h.incident?.ms ?? 0))).toBe(true);
  });

  it("a larger false-alarm budget never raises the oracle's threshold; daytime incidents get a time to detect", () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const strict = boundHome(seed, 30, 1);
      const loose = boundHome(seed, 30, 4);
      expect(loose.thresholdMin).toBeLessThanOrEqual(strict.thresholdMin);
      expect(strict.thresholdMin).toBeGreaterThanOrEqual(30);
      expect(loose.silences4hPerMonth).toBe(strict.silences4hPerMonth);
      const night = new Household({ seed, days: 30 }).incident?.night;
      expect(strict.ttdMin === undefined).toBe(night);
      if (strict.ttdMin !== undefined) {
        expect(strict.ttdMin).toBeGreaterThanOrEqual(0);
        expect(loose.ttdMin ?? Number.NaN).toBeLessThanOrEqual(strict.ttdMin);
      }
    }
  });

  it("figures: shares, medians and means over homes", () => {
    const f = boundFigures([
      { seed: 1, silences4hPerMonth: 0, thresholdMin: 200, ttdMin: 100 },
      { seed: 2, silences4hPerMonth: 4, thresholdMin: 300, ttdMin: 250 },
      { seed: 3, silences4hPerMonth: 2, thresholdMin: 400, ttdMin: undefined },
    ]);
    expect(f).toMatchObject({
      homes: 3,
      silences4hPerHomeMonth: 2,
      homesWithout4hPct: 33.3,
      thresholdMedianMin: 300,
      thresholdUnder4hPct: 33.3,
      daytimeIncidents: 2,
      daytimeWithin4hPct: 50,
      daytimeTtdMedianMin: 250,
    });
  });
});
