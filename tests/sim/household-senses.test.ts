import { describe, expect, it } from "vitest";
import { MINUTE_MS, SECOND_MS } from "../../src/core/time.js";
import type { ReplayRecord } from "../../src/replay/input.js";
import { Household } from "../../src/sim/household.js";
import { SENSE_PARAMS } from "../../src/sim/household-params.js";
import { drawSenseProfile } from "../../src/sim/household-senses.js";

type Reading = Extract<ReplayRecord, { kind: "reading" }>;
const ALL = { motion: true, door: true, fall: true } as const;
const SENSE_DEVICES = ["motion-1", "door-1", "fall-1"];

function readings(h: Household, device: string): Reading[] {
  return [...h.records()].filter((r): r is Reading => r.kind === "reading" && r.device === device);
}
const inside = (xs: readonly (readonly [number, number])[], t: number) =>
  xs.some(([a, b]) => t >= a && t < b);

describe("simulated household: the sensing tiers' senses", () => {
  it("draws every sense value inside the committed ranges", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const p = drawSenseProfile(seed);
      expect(p.motionSeenPerMin).toBeGreaterThanOrEqual(SENSE_PARAMS.motionSeenPerMin[0]);
      expect(p.motionSeenPerMin).toBeLessThanOrEqual(SENSE_PARAMS.motionSeenPerMin[1]);
      expect(p.answerProb).toBeGreaterThanOrEqual(SENSE_PARAMS.answerProb[0]);
      expect(p.answerProb).toBeLessThanOrEqual(SENSE_PARAMS.answerProb[1]);
      expect(p.twitchPerHour).toBeLessThanOrEqual(SENSE_PARAMS.twitchPerHour[1]);
      expect(p.answerDelayMin[0]).toBeLessThanOrEqual(p.answerDelayMin[1]);
      expect(p.falseFallsPerMonth).toBeLessThanOrEqual(SENSE_PARAMS.falseFallsPerMonth[1]);
    }
  });

  it("is the same home, meters and person, with or without senses; each sense the same in every tier", () => {
    const plain = [...new Household({ seed: 12, days: 10 }).records()];
    const all = [...new Household({ seed: 12, days: 10, senses: ALL }).records()];
    const motionOnly = [...new Household({ seed: 12, days: 10, senses: { motion: true } }).records()];
    const isSense = (r: ReplayRecord) => r.kind === "reading" && SENSE_DEVICES.includes(r.device);
    expect(all.filter((r) => !isSense(r))).toEqual(plain);
    expect(motionOnly.filter((r) => !isSense(r))).toEqual(plain);
    const motionOf = (rs: ReplayRecord[]) =>
      rs.filter((r) => r.kind === "reading" && r.device === "motion-1");
    expect(motionOf(all)).toEqual(motionOf(motionOnly));
    expect(all.some((r) => r.kind === "reading" && r.device === "door-1")).toBe(true);
    for (let i = 1; i < all.length; i++)
      expect((all[i] as ReplayRecord).ms).toBeGreaterThanOrEqual((all[i - 1] as ReplayRecord).ms);
  });

  it("opens and closes the entrance door at the start and end of every outing and trip", () => {
    let checked = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const h = new Household({ seed, days: 30, senses: { door: true } });
      const door = readings(h, "door-1");
      const opens = door.filter((r) => r.value === 1).map((r) => r.ms);
      for (const [a, b] of h.outIntervals()) {
        expect(opens).toContain(a);
        if (b < h.endMs) expect(opens).toContain(b);
        checked++;
      }
      // Door use without going out happens while the person is at home.
      const edges = new Set(h.outIntervals().flat());
      for (const t of opens) if (!edges.has(t)) expect(inside(h.outIntervals(), t)).toBe(false);
      // Closed again within the committed time; beacons every 10 minutes.
      for (let i = 1; i < door.length; i++)
        expect((door[i] as Reading).ms - (door[i - 1] as Reading).ms).toBeLessThanOrEqual(10 * MINUTE_MS);
    }
    expect(checked).toBeGreaterThan(5);
  });

  it("the PIR sees the person only at home (never out), and after the incident only the twitches of a fallen person", () => {
    let twitching = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const h = new Household({ seed, days: 20, senses: { motion: true } });
      const tl = h.senses();
      const inc = h.incident?.ms as number;
      for (const t of tl.motion) expect(inside(h.outIntervals(), t) && t < inc).toBe(false);
      const after = tl.motion.filter((t) => t >= inc);
      if (tl.profile.twitchPerHour === 0) expect(after).toEqual([]);
      // Decaying from at most 1.5 an hour: a handful in a day, never the person walking about.
      expect(after.length).toBeLessThan(30);
      if (after.length > 0) twitching++;
      const ones = readings(h, "motion-1").filter((r) => r.value === 1);
      expect(ones.length).toBeGreaterThan(20 * 10);
    }
    expect(twitching).toBeGreaterThan(0);
  });

  it("the fall sensor reports a fall in its view 60–120 s after it, and nothing for an incident out of view", () => {
    let inView = 0;
    let outOfView = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const h = new Household({ seed, days: 10, senses: { fall: true } });
      const inc = h.incident?.ms as number;
      const falls = readings(h, "fall-1")
        .filter((r) => r.value === 1 && r.ms >= inc)
        .map((r) => r.ms);
      if (h.incidentIsFallInView()) {
        inView++;
        for (const t of falls) {
          expect(t - inc).toBeGreaterThanOrEqual(60 * SECOND_MS);
          expect(t - inc).toBeLessThanOrEqual(120 * SECOND_MS);
        }
        expect(falls.length).toBeLessThanOrEqual(1);
      } else {
        outOfView++;
        expect(falls).toEqual([]);
      }
    }
    expect(inView).toBeGreaterThan(5);
    expect(outOfView).toBeGreaterThan(5);
  });

  it("answers prompts only when home and before the incident, often when up, less often asleep, after a delay", () => {
    let awake = 0;
    let awakeAnswered = 0;
    let asleep = 0;
    let asleepAnswered = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const h = new Household({ seed, days: 20 });
      const inc = h.incident?.ms as number;
      const p = h.senses().profile;
      for (let t = inc - 20 * 24 * 60 * MINUTE_MS; t < inc + 12 * 60 * MINUTE_MS; t += 17 * MINUTE_MS) {
        const a = h.answerAt(t);
        if (t >= inc || inside(h.outIntervals(), t)) {
          expect(a).toBeUndefined();
          continue;
        }
        if (a !== undefined) {
          expect(a - t).toBeGreaterThanOrEqual(p.answerDelayMin[0] * MINUTE_MS - 1);
          expect(a - t).toBeLessThanOrEqual(p.answerDelayMin[1] * MINUTE_MS + 1);
          expect(a).toBeLessThan(inc);
        }
        if (inside(h.asleepIntervals(), t)) {
          asleep++;
          if (a !== undefined) asleepAnswered++;
        } else {
          awake++;
          if (a !== undefined) awakeAnswered++;
        }
      }
      expect(h.answerAt(inc - 3 * 60 * MINUTE_MS)).toEqual(h.answerAt(inc - 3 * 60 * MINUTE_MS));
    }
    expect(awakeAnswered / awake).toBeGreaterThan(0.8);
    expect(asleepAnswered / asleep).toBeLessThan(0.85);
    expect(asleepAnswered / asleep).toBeGreaterThan(0.3);
  });
});
