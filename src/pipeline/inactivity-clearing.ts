import type { Activity } from "./activity.js";
import { RecentSigns, UP_WINDOW_MS, weightOf } from "./activity-weights.js";

/** Motion events kept per open alert: more than the motion rule ever needs. */
const KEEP = 16;

/**
 * Whether activity clears an open inactivity alert. A button, water, the door or a power step clear it
 * at once, as before. Motion does only when it shows someone is up (repeated, or on two sensors):
 * a person on the floor still twitches and a PIR sees it, and the pre-alarm that raised the alert has
 * just ignored that same twitch; one trigger must not tell the cloud "all well".
 */
export class InactivityClearing {
  #alert: string | undefined;
  readonly #motion = new RecentSigns(UP_WINDOW_MS, KEEP);

  /** The activity `a` while `alert` is open: true when it clears the alert. */
  clears(alert: string, a: Activity): boolean {
    if (weightOf(a.source).class !== "motion") return true;
    if (this.#alert !== alert) {
      this.#alert = alert;
      this.#motion.clear();
    }
    return this.#motion.add(a) !== undefined;
  }
}
