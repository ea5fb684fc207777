import { MINUTE_MS } from "../core/time.js";
import type { Activity } from "./activity.js";
import { RecentSigns, weightOf } from "./activity-weights.js";

/**
 * Motion and presence restart the silence only when they show someone is up: three triggers, or two
 * sensors, within this window. A person up and about at home sets a PIR off several times an hour;
 * a person on the floor still moves a little, and a PIR sees that too, now and then. Counting every
 * lone trigger restarted the silence (and satisfied the morning deadline) for a person who had
 * fallen: with a motion sensor and no pre-alarm, detection within 12 h fell from 93 % to 58 % on
 * the evaluation's held-out homes (docs/DETECTION.md, "Sensing tiers").
 */
export const SILENCE_MOTION_WINDOW_MS = 30 * MINUTE_MS;

/** Motion events kept: more than the rule ever needs within the window. */
const KEEP = 16;

/**
 * Which activity counts for the silence rules and the learned routine. Everything but motion counts
 * at once (a button, water, the door, a power step, as before); motion counts when it shows someone
 * is up (`showsSomeoneUp` over the motion of the last `SILENCE_MOTION_WINDOW_MS`). A lone trigger is
 * still activity for everything else: the day's record, the pre-alarm's list, the outing logic.
 */
export class SilenceEvidence {
  readonly #motion = new RecentSigns(SILENCE_MOTION_WINDOW_MS, KEEP);

  counts(a: Activity): boolean {
    if (weightOf(a.source).class !== "motion") return true;
    return this.#motion.add(a) !== undefined;
  }
}
