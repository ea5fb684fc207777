import type { HeardEvery } from "../profiles/common.js";

/**
 * A device heard every `n` ms when well is degraded only after this many intervals of silence: one
 * lost heartbeat (an Aqara sensor's hourly report missed by the radio) is not an alarm, two are.
 */
export const HEARD_EVERY_MARGIN = 2.5;

/**
 * How long a device may be silent before it is `monitoring_degraded`: the longer of `degraded_after`
 * and the margin over its own interval; Infinity for a device that reports only on change (its silence
 * says nothing: the person did not open the door). Without an interval (meters Hearth polls, profiles
 * that do not say), `degraded_after`.
 */
export function silenceLimitMs(heardEvery: HeardEvery | undefined, degradedAfterMs: number): number {
  if (heardEvery === undefined) return degradedAfterMs;
  if (heardEvery === "on_change") return Number.POSITIVE_INFINITY;
  return Math.max(degradedAfterMs, HEARD_EVERY_MARGIN * heardEvery);
}
