import { HOUR_MS, MINUTE_MS } from "../core/time.js";
import type { SenseSet } from "../sim/household-sense-records.js";
import { type BoundFigures, runBound } from "./bound.js";
import { type EvalDetection, type EvalKnobs, type Figures, figures, runCorpus } from "./evaluate.js";

/**
 * The sensing tiers of `hearth eval --tiers`: what a home has besides its meters and call button,
 * each with and without the gateway's pre-alarm, and the detection settings the evaluation uses for
 * each (the knobs tuned on the tuning seeds only; everything else is the default).
 */

export const TIERS = ["meters", "motion", "motion_door", "motion_door_fall"] as const;
export type Tier = (typeof TIERS)[number];

export function tierSenses(t: Tier): SenseSet {
  switch (t) {
    case "meters":
      return {};
    case "motion":
      return { motion: true };
    case "motion_door":
      return { motion: true, door: true };
    case "motion_door_fall":
      return { motion: true, door: true, fall: true };
  }
}

/** The pre-alarm as the evaluation runs it: a 10-minute wait, spoken in the sleep window only with lights on. */
export const EVAL_PREALARM: Pick<EvalDetection, "prealarmWaitMs" | "prealarmInSleep"> = {
  prealarmWaitMs: 10 * MINUTE_MS,
  prealarmInSleep: "lights_on",
};

/**
 * The detection knobs per tier. With a motion sensor the routine's alpha is lowered (a PIR gives far
 * more evidence per quiet hour: docs/DETECTION.md, the motion variant); with the pre-alarm on the
 * limits are shorter, since a prompt the person answers stays at home. Chosen on the tuning seeds
 * (50 homes × 60 days; docs/DETECTION.md, "Sensing tiers and the pre-alarm"): meters 6 h and 0.002
 * (7 h / 0.001: 0.60 cloud false alarms a home-month but 39.3 % of daytime incidents within 4 h; 5 h /
 * 0.001: 1.74; 6 h / 0.003: 1.38), with motion 3 h and 0.005 (3 h / 0.002: 35.7 %, 0.34; 2 h / 0.005:
 * 57.1 %, 1.25 — over the budget of one).
 */
const MOTION_OFF: Partial<EvalDetection> = { routineAlpha: 0.0003 };
/**
 * With a motion sensor and the pre-alarm, the home's usual stillness (usual-stillness-verdict.ts)
 * asks first, so the day limit and the routine can be those of a home without the pre-alarm's
 * shortcuts: 4 h and the motion alpha (tuning seeds, docs/DETECTION.md "Usual stillness").
 */
const MOTION_ON: Partial<EvalDetection> = {
  routineAlpha: 0.0003,
  prealarmMaxSilenceDayMs: 4 * HOUR_MS,
  prealarmRoutineAlpha: 0.0003,
  // As the agent's `usual_stillness: auto` does where a motion sensor is configured.
  prealarmUsualStillness: true,
};

export const TIER_KNOBS: Record<Tier, { off: Partial<EvalDetection>; on: Partial<EvalDetection> }> = {
  meters: {
    off: {},
    on: { prealarmMaxSilenceDayMs: 6 * HOUR_MS, prealarmRoutineAlpha: 0.002 },
  },
  motion: { off: MOTION_OFF, on: MOTION_ON },
  motion_door: { off: MOTION_OFF, on: MOTION_ON },
  motion_door_fall: { off: MOTION_OFF, on: MOTION_ON },
};

export function tierKnobs(t: Tier, prealarm: boolean, extra: Partial<EvalDetection> = {}): EvalKnobs {
  const senses = tierSenses(t);
  return {
    ...(t === "meters" ? {} : { senses }),
    detection: {
      ...(prealarm ? { ...EVAL_PREALARM, ...TIER_KNOBS[t].on } : TIER_KNOBS[t].off),
      ...extra,
    },
  };
}

export interface TierResult {
  tier: Tier;
  prealarm: boolean;
  figures: Figures;
}

/** One corpus through every tier asked for (learned routine on, as the product runs). */
export function runTiers(
  seedBase: number,
  homes: number,
  days: number,
  tiers: readonly Tier[],
  prealarm: readonly boolean[],
  extra: Partial<EvalDetection> = {},
  progress?: (label: string, done: number) => void,
): TierResult[] {
  const out: TierResult[] = [];
  for (const tier of tiers)
    for (const pa of prealarm) {
      const by = runCorpus(
        seedBase,
        homes,
        days,
        ["routine"],
        (d) => progress?.(`${tier}${pa ? " + pre-alarm" : ""}`, d),
        tierKnobs(tier, pa, extra),
      );
      out.push({ tier, prealarm: pa, figures: figures(by.get("routine") ?? []) });
    }
  return out;
}

/** The oracle bound for a tier (src/eval/bound.ts); the pre-alarm does not change it. */
export function tierBound(seedBase: number, homes: number, days: number, t: Tier): BoundFigures {
  return runBound(seedBase, homes, days, 1, tierSenses(t));
}
