import { MINUTE_MS } from "../core/time.js";
import { senseDefaults } from "../pipeline/options.js";
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
 * The detection knobs per tier: the agent's own defaults for what the home has (`senseDefaults`,
 * src/pipeline/options.ts), so that the figures are those of a gateway configured with these senses.
 * With a motion sensor the routine's alpha is lower (a PIR gives far more evidence per quiet hour:
 * docs/DETECTION.md, the motion variant); with the pre-alarm on the limits are shorter, since a
 * prompt the person answers stays at home, and the home's usual stillness asks first.
 */
const METERS = senseDefaults(false);
const MOTION = senseDefaults(true);
const MOTION_OFF: Partial<EvalDetection> = { routineAlpha: MOTION.routineAlpha };
const MOTION_ON: Partial<EvalDetection> = {
  routineAlpha: MOTION.routineAlpha,
  prealarmMaxSilenceDayMs: MOTION.prealarmMaxSilenceDayMs,
  prealarmRoutineAlpha: MOTION.prealarmRoutineAlpha,
  // As the agent's `usual_stillness: auto` does where a motion sensor is configured.
  prealarmUsualStillness: true,
};

export const TIER_KNOBS: Record<Tier, { off: Partial<EvalDetection>; on: Partial<EvalDetection> }> = {
  meters: {
    off: {},
    on: {
      prealarmMaxSilenceDayMs: METERS.prealarmMaxSilenceDayMs,
      prealarmRoutineAlpha: METERS.prealarmRoutineAlpha,
    },
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
