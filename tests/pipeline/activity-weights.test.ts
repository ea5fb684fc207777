import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MINUTE_MS } from "../../src/core/time.js";
import {
  type ActivitySign,
  powerStepStrength,
  SENSE_WEIGHTS,
  showsSomeoneUp,
  UP_WINDOW_MS,
  weightOf,
} from "../../src/pipeline/activity-weights.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

const at = (min: number, source: string, device = `${source}-1`): ActivitySign => ({
  device,
  source,
  mono: min * MINUTE_MS,
});

describe("sense weights (issue 10: a PIR trigger is not a tap running)", () => {
  it("classes: button, water and door are strong; power medium; motion and occupancy motion", () => {
    expect(Object.fromEntries(Object.entries(SENSE_WEIGHTS).map(([s, w]) => [s, w.class]))).toEqual({
      button: "strong",
      water: "strong",
      door: "strong",
      electricity: "medium",
      motion: "motion",
      occupancy: "motion",
    });
    expect(weightOf("something-new")).toEqual({ class: "medium", strength: 0.5 });
    // Inherited keys are not sources.
    expect(weightOf("constructor")).toEqual({ class: "medium", strength: 0.5 });
  });

  it("power step strengths by size and sign", () => {
    expect([powerStepStrength(2000), powerStepStrength(500), powerStepStrength(120)]).toEqual([
      0.8, 0.8, 0.6,
    ]);
    expect(powerStepStrength(-800)).toBe(0.5);
  });

  it("the pipeline's activities carry the table's strengths", () => {
    const { read, p, clock } = pipelineRig("2026-03-02T09:00:00+08:00");
    const seen: Record<string, number | undefined> = {};
    for (const [device, channel] of [
      ["pir-1", "motion"],
      ["radar-1", "occupancy"],
      ["door-1", "door"],
    ] as const) {
      // Motion counts for the silence once it shows someone up: three triggers (silence-evidence.ts).
      for (let i = 0; i < (channel === "door" ? 1 : 3); i++) {
        read(device, channel, 0);
        clock.advanceBy(MINUTE_MS);
        read(device, channel, 1);
      }
      seen[channel] = p.lastActivity()?.strength;
    }
    read("water-1", "water_total_m3", 1);
    clock.advanceBy(MINUTE_MS);
    read("water-1", "water_total_m3", 1.01);
    seen.water = p.lastActivity()?.strength;
    p.button({ device: "btn-1", event: "triple_press", mono: clock.monotonicMs() });
    seen.button = p.lastActivity()?.strength;
    expect(seen).toEqual({
      motion: SENSE_WEIGHTS.motion?.strength,
      occupancy: SENSE_WEIGHTS.occupancy?.strength,
      door: SENSE_WEIGHTS.door?.strength,
      water: SENSE_WEIGHTS.water?.strength,
      button: SENSE_WEIGHTS.button?.strength,
    });
  });
});

describe("showsSomeoneUp: the pre-alarm's question", () => {
  it("nothing, or one PIR trigger, is not someone up", () => {
    expect(showsSomeoneUp([])).toBeUndefined();
    expect(showsSomeoneUp([at(0, "motion")])).toBeUndefined();
    expect(showsSomeoneUp([at(0, "occupancy")])).toBeUndefined();
  });

  it("one strong sign is: a tap running, the door, a button", () => {
    for (const s of ["water", "door", "button"])
      expect(showsSomeoneUp([at(3, s)])).toEqual({ class: "strong", events: 1, devices: [`${s}-1`] });
  });

  it("one power step is not; two within the window are", () => {
    expect(showsSomeoneUp([at(0, "electricity")])).toBeUndefined();
    expect(showsSomeoneUp([at(0, "electricity"), at(11, "electricity")])).toBeUndefined();
    expect(showsSomeoneUp([at(0, "electricity"), at(9, "electricity")])).toMatchObject({
      class: "medium",
      events: 2,
    });
  });

  it("motion: two triggers of one PIR are a twitch; three within the window are someone moving", () => {
    expect(showsSomeoneUp([at(0, "motion"), at(4, "motion")])).toBeUndefined();
    expect(showsSomeoneUp([at(0, "motion"), at(4, "motion"), at(8, "motion")])).toEqual({
      class: "motion",
      events: 3,
      devices: ["motion-1"],
    });
    // Spread wider than the window: never three at once.
    expect(
      showsSomeoneUp([at(0, "motion"), at(6, "motion"), at(12, "motion"), at(18, "motion")]),
    ).toBeUndefined();
  });

  it("motion in two rooms (two devices) within the window is someone walking", () => {
    expect(showsSomeoneUp([at(0, "motion", "pir-living"), at(2, "motion", "pir-hall")])).toEqual({
      class: "motion",
      events: 2,
      devices: ["pir-living", "pir-hall"],
    });
    expect(showsSomeoneUp([at(0, "motion", "pir-living"), at(12, "motion", "pir-hall")])).toBeUndefined();
  });

  it("order of the input does not matter; a custom window and rules are honoured", () => {
    const xs = [at(8, "motion"), at(0, "motion"), at(4, "motion")];
    expect(showsSomeoneUp(xs)?.events).toBe(3);
    expect(showsSomeoneUp(xs, { windowMs: 5 * MINUTE_MS })).toBeUndefined();
    expect(
      showsSomeoneUp([at(0, "motion")], {
        rules: { strong: { events: 1 }, medium: { events: 2 }, motion: { events: 1 } },
      }),
    ).toMatchObject({ class: "motion" });
  });

  it("property: motion alone from one device never shows someone up unless 3 triggers fall in one window", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 600 }), { maxLength: 12 }), (mins) => {
        const v = showsSomeoneUp(mins.map((m) => at(m, "motion")));
        const sorted = mins.slice().sort((a, b) => a - b);
        const dense = sorted.some(
          (m, i) => i >= 2 && (m - (sorted[i - 2] as number)) * MINUTE_MS <= UP_WINDOW_MS,
        );
        expect(v !== undefined).toBe(dense);
      }),
    );
  });
});
