import { MINUTE_MS } from "../core/time.js";
import type { Activity } from "./activity.js";
import { RecentSigns, weightOf } from "./activity-weights.js";
import { SILENCE_MOTION_WINDOW_MS } from "./silence-evidence.js";

/**
 * A silence at least this long, ended by motion alone, is ended provisionally: long enough for a fall
 * to lie in it, and the window motion is counted over (a shorter one is no silence for motion).
 */
export const PROVISIONAL_AFTER_MS = SILENCE_MOTION_WINDOW_MS;
/**
 * How long a motion-only "up" waits for its confirmation. A person up for an hour at home runs a
 * tap, switches something on, opens the door or sets the PIR off again at an up rate; a person on
 * the floor does none of these and twitches at well under it.
 */
export const PROVISIONAL_CONFIRM_MS = 60 * MINUTE_MS;

/**
 * Motion that shows someone up after a long silence, taken provisionally. A fallen person still moves
 * a little, and three PIR triggers within 30 min (silence-evidence.ts) can come of that. Such an
 * "up" restarts the silence as before, but is confirmed only by what a person on the floor does not
 * do: any other sign (water, a power step, the door, a button), or motion showing someone up again
 * from its own triggers (after the first "up"). Unconfirmed after `PROVISIONAL_CONFIRM_MS`, the
 * silence goes on from where it was (`SilenceRule.rejoin`).
 */
export class ProvisionalUp<T> {
  /** The pending "up" (its time) and what the silence was before it (`T`, for the rejoin). */
  #pending: { mono: number; before: T } | undefined;
  readonly #motion = new RecentSigns(SILENCE_MOTION_WINDOW_MS);

  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * An activity, before it ends the silence; `up`: it shows someone up; `silenceMs`: the silence it
   * would end; `before`: where the silence stands before it, kept for a rejoin.
   */
  activity(a: Activity, up: boolean, silenceMs: number, before: () => T): void {
    const motion = weightOf(a.source).class === "motion";
    if (this.#pending) {
      if (a.mono < this.#pending.mono) return;
      // A load switching off needs nobody (a timer, the kettle): no confirmation.
      if (motion ? this.#motion.add(a) !== undefined : !a.switchedOff) this.clear();
      return;
    }
    if (up && motion && silenceMs >= PROVISIONAL_AFTER_MS) {
      this.#pending = { mono: a.mono, before: before() };
      this.#motion.clear();
    }
  }

  /** The pending "up", once its wait is over unconfirmed (then cleared); else undefined. */
  due(nowMono: number): T | undefined {
    const p = this.#pending;
    if (!p || nowMono - p.mono < PROVISIONAL_CONFIRM_MS) return undefined;
    this.#pending = undefined;
    return p.before;
  }

  clear(): void {
    this.#pending = undefined;
    this.#motion.clear();
  }
}
