import { DAY_MS, HOUR_MS } from "../core/time.js";

/**
 * How long this person's outings last, learned from the ended ones, so that an outing far longer
 * than any of theirs raises `not_home` before the fixed `max_day`.
 *
 * The limit is the longest outing of the last four weeks with a quarter more, never under a floor and
 * never over `max_day`, and only once enough outings are known (else `max_day`). Chosen from what the
 * limit means, not fitted to the simulator:
 * - four weeks: a month of errands, a weekly visit or appointment seen four times, and short enough
 *   that a change of habit (a new day centre) is followed within a month;
 * - the longest, not a quantile: an outing as long as one the person already made is not unusual,
 *   and a false `not_home` goes to the cloud;
 * - a quarter more: traffic, a queue, a chat on the way home stretch a usual outing by minutes to an
 *   hour; a quarter of a 2 h errand is half an hour;
 * - floor 3 h: an errand round (shopping, the doctor's with its waiting room, and the way there and
 *   back) takes up to about that, so a shorter limit would ask about ordinary outings in a home that
 *   happened to have only short ones lately; 3 h after leaving is still inside the 4 h target;
 * - ten outings: with fewer the longest says little (the chance that the next outing is longer than
 *   all n before it is 1 in n + 1 for any distribution; 1 in 11 at ten, before the margin).
 */
export const OUTING_WINDOW_MS = 28 * DAY_MS;
export const OUTING_MARGIN = 1.25;
export const OUTING_FLOOR_MS = 3 * HOUR_MS;
export const OUTING_MIN_COUNT = 10;
/** A bound on the kept list whatever the habits (a door used many times a day). */
const MAX_KEPT = 500;

/** What is kept in the store: each ended outing's end (wall ms) and length (s). */
export interface OutingLengthsSnapshot {
  ended: { end: number; out_s: number }[];
}

export class OutingLengths {
  #ended: { end: number; outMs: number }[] = [];

  /** An outing of `outMs` ended at wall time `endWall`. */
  add(endWall: number, outMs: number): void {
    this.#ended.push({ end: endWall, outMs });
    this.#prune(endWall);
    if (this.#ended.length > MAX_KEPT) this.#ended.splice(0, this.#ended.length - MAX_KEPT);
  }

  /** Outings ended in the four weeks before `nowWall`. */
  count(nowWall: number): number {
    return this.#recent(nowWall).length;
  }

  /** The day limit for an outing at `nowWall`: learned (see the module comment), or `maxDayMs`. */
  limitMs(nowWall: number, maxDayMs: number): number {
    const recent = this.#recent(nowWall);
    if (recent.length < OUTING_MIN_COUNT) return maxDayMs;
    const longest = Math.max(...recent.map((o) => o.outMs));
    return Math.min(maxDayMs, Math.max(OUTING_FLOOR_MS, longest * OUTING_MARGIN));
  }

  toJSON(): OutingLengthsSnapshot {
    return { ended: this.#ended.map((o) => ({ end: o.end, out_s: Math.round(o.outMs / 1000) })) };
  }

  restore(s: OutingLengthsSnapshot): void {
    if (!Array.isArray(s.ended)) throw new Error("outing lengths: no 'ended' list");
    this.#ended = s.ended
      .filter((o) => Number.isFinite(o.end) && Number.isFinite(o.out_s) && o.out_s >= 0)
      .map((o) => ({ end: o.end, outMs: o.out_s * 1000 }))
      .sort((a, b) => a.end - b.end)
      .slice(-MAX_KEPT);
  }

  #recent(nowWall: number): { end: number; outMs: number }[] {
    return this.#ended.filter((o) => o.end > nowWall - OUTING_WINDOW_MS && o.end <= nowWall);
  }

  #prune(nowWall: number): void {
    const from = nowWall - OUTING_WINDOW_MS;
    let i = 0;
    while (i < this.#ended.length && (this.#ended[i] as { end: number }).end <= from) i++;
    if (i > 0) this.#ended.splice(0, i);
  }
}
