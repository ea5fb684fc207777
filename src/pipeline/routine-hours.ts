import { hourOfWeekOf, type LocalTime } from "./local-time.js";
import type { Routine } from "./routine.js";

/**
 * Feeds the learned routine one local hour at a time: whether the person was active in it. An hour
 * teaches the routine only if it was seen whole and unspoiled: not the hour the pipeline started in,
 * not in announced away time, under an open inactivity alert, or while the home could not be observed.
 */
export class RoutineHours {
  /** The local hour being observed (day × 24 + hour). */
  #key = -1;
  #active = false;
  #spoiled = true;

  constructor(readonly routine: Pick<Routine, "observe">) {}

  /** Starts observing at `local`: that hour is only partly seen. */
  start(local: LocalTime): void {
    this.#key = local.day * 24 + local.hour;
    this.#spoiled = true;
  }

  /** The person was active in this hour. */
  active(): void {
    this.#active = true;
  }

  /** This hour cannot teach the routine. */
  spoil(): void {
    this.#spoiled = true;
  }

  get spoiled(): boolean {
    return this.#spoiled;
  }

  /**
   * At a tick: if the local hour has moved on, the hour that ended teaches the routine (when it was
   * unspoiled and directly precedes this one) and a new hour starts, spoiled from the start if
   * `spoiledFromStart` says so. Returns whether a new hour started.
   */
  roll(local: LocalTime, spoiledFromStart: () => boolean): boolean {
    const key = local.day * 24 + local.hour;
    if (key === this.#key) return false;
    if (!this.#spoiled && key === this.#key + 1)
      this.routine.observe(hourOfWeekOf(Math.floor(this.#key / 24), this.#key % 24), this.#active);
    this.#key = key;
    this.#active = false;
    this.#spoiled = spoiledFromStart();
    return true;
  }
}
