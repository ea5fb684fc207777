import { describe, expect, it } from "vitest";
import { DAY_MS, MINUTE_MS } from "../../src/core/time.js";
import type { ReplayRecord } from "../../src/replay/input.js";
import { parseLine } from "../../src/replay/input.js";
import { Household, recordLine } from "../../src/sim/household.js";
import { HOUSEHOLD_PARAMS } from "../../src/sim/household-params.js";
import { drawProfile, HOUSEHOLD_START_MS } from "../../src/sim/household-profile.js";

function collect(h: Household): ReplayRecord[] {
  return [...h.records()];
}

describe("simulated household", () => {
  it("is the same for the same seed and differs between seeds", () => {
    const a = collect(new Household({ seed: 7, days: 3 }));
    const b = collect(new Household({ seed: 7, days: 3 }));
    const c = collect(new Household({ seed: 8, days: 3 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("draws every profile value inside the committed ranges", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const p = drawProfile(seed);
      expect(p.wakeMin).toBeGreaterThanOrEqual(HOUSEHOLD_PARAMS.wakeMin[0]);
      expect(p.wakeMin).toBeLessThanOrEqual(HOUSEHOLD_PARAMS.wakeMin[1]);
      expect(p.fridge.w).toBeGreaterThanOrEqual(HOUSEHOLD_PARAMS.fridgeW[0]);
      expect(p.fridge.w).toBeLessThanOrEqual(HOUSEHOLD_PARAMS.fridgeW[1]);
      expect([1, 10]).toContain(p.waterResolutionL);
      expect(p.trips).toBeLessThanOrEqual(HOUSEHOLD_PARAMS.tripsPer60Days[1]);
    }
  });

  it("writes records in time order that read back as replay input", () => {
    const recs = collect(new Household({ seed: 3, days: 2 }));
    for (let i = 1; i < recs.length; i++)
      expect((recs[i] as ReplayRecord).ms).toBeGreaterThanOrEqual((recs[i - 1] as ReplayRecord).ms);
    for (const r of recs.slice(0, 200)) {
      const back = parseLine(recordLine(r));
      expect(typeof back).not.toBe("string");
      expect(back).toMatchObject({ kind: r.kind, ms: r.ms });
    }
  });

  it("water totals move in steps of the meter's resolution", () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const h = new Household({ seed, days: 2 });
      const res = h.profile.waterResolutionL / 1000;
      const water = collect(h).filter(
        (r): r is Extract<ReplayRecord, { kind: "reading" }> =>
          r.kind === "reading" && r.channel === "water_total_m3",
      );
      const first = water[0]?.value ?? 0;
      for (const w of water) {
        const steps = (w.value - first) / res;
        expect(Math.abs(steps - Math.round(steps))).toBeLessThan(1e-6);
      }
    }
  });

  it("announces trips away with a watch command that ends by itself", () => {
    let found = false;
    for (let seed = 1; seed <= 30 && !found; seed++) {
      const h = new Household({ seed, days: 60, incident: false });
      if (h.trips.length === 0) continue;
      found = true;
      const watches = collect(h).filter((r) => r.kind === "watch");
      expect(watches.length).toBe(h.trips.length);
      expect(watches[0]).toMatchObject({ level: "away", untilMs: h.trips[0]?.toMs });
    }
    expect(found).toBe(true);
  });

  it("after the incident the person does nothing: only machines, standby and noise move the meters", () => {
    const h = new Household({ seed: 11, days: 3 });
    const t = h.incident?.ms as number;
    expect(t).toBeGreaterThanOrEqual(HOUSEHOLD_START_MS + 3 * DAY_MS);
    const recs = collect(h);
    const water = recs.filter(
      (r): r is Extract<ReplayRecord, { kind: "reading" }> =>
        r.kind === "reading" && r.channel === "water_total_m3" && r.ms > t + 120_000,
    );
    expect(water.length).toBeGreaterThan(100);
    expect(new Set(water.map((w) => w.value)).size).toBe(1);
    expect(recs.at(-1)?.ms).toBeLessThanOrEqual(h.endMs);
  });
});

describe("simulated household with a motion sensor (the variant)", () => {
  it("adds motion readings and changes nothing else in the home", () => {
    const plain = [...new Household({ seed: 11, days: 10 }).records()];
    const withMotion = [...new Household({ seed: 11, days: 10, motion: true }).records()];
    const motion = withMotion.filter((r) => r.kind === "reading" && r.channel === "motion");
    expect(withMotion.filter((r) => !(r.kind === "reading" && r.channel === "motion"))).toEqual(plain);
    const triggers = motion.filter((r) => r.kind === "reading" && r.value === 1);
    // Up some 15 h a day at 2–12 triggers an hour, less naps and outings.
    expect(triggers.length).toBeGreaterThan(10 * 15);
    // A beacon at least every 10 minutes: the sensor never looks dead.
    for (let i = 1; i < motion.length; i++)
      expect((motion[i] as ReplayRecord).ms - (motion[i - 1] as ReplayRecord).ms).toBeLessThanOrEqual(
        10 * MINUTE_MS,
      );
  });

  it("sees no motion after the incident, and none during announced trips away", () => {
    for (const seed of [3, 4, 5, 6]) {
      const h = new Household({ seed, days: 30, motion: true });
      const ones = [...h.records()].filter(
        (r) => r.kind === "reading" && r.channel === "motion" && r.value === 1,
      );
      const inc = h.incident?.ms ?? 0;
      expect(ones.every((r) => r.ms <= inc + MINUTE_MS)).toBe(true);
      for (const t of h.trips)
        expect(ones.some((r) => r.ms > t.fromMs + MINUTE_MS && r.ms < t.toMs)).toBe(false);
    }
  });
});
