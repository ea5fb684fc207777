import type { AlertKind, AlertState } from "./messages.js";

/**
 * The alert state machine of contract v1: raised → escalated → (cleared | acknowledged);
 * acknowledged is possible from raised or escalated; cleared and acknowledged are closed.
 */
const NEXT: Record<AlertState, readonly AlertState[]> = {
  raised: ["escalated", "cleared", "acknowledged"],
  escalated: ["cleared", "acknowledged"],
  cleared: [],
  acknowledged: [],
};

export function isClosed(state: AlertState): boolean {
  return state === "cleared" || state === "acknowledged";
}

/**
 * Alerts raised for a person who asked for help or cannot get up: never cleared or cancelled on the
 * gateway (a fallen person must not cancel their own call), republished until the cloud acknowledges
 * them, escalated when left alone.
 */
export const CALL_CLASS: ReadonlySet<AlertKind> = new Set<AlertKind>(["call", "fall"]);

export function isCallClass(kind: AlertKind): boolean {
  return CALL_CLASS.has(kind);
}

export type TransitionCause = "activity" | "i_am_fine" | "cloud" | "device" | "timeout" | "recovered";

/** Why a transition is refused, or undefined when it is allowed. */
export function refuseTransition(
  kind: AlertKind,
  from: AlertState,
  to: AlertState,
  cause?: TransitionCause,
): string | undefined {
  if (!NEXT[from].includes(to)) return `an alert cannot go from ${from} to ${to}`;
  if (isCallClass(kind) && to === "cleared") return `a ${kind} is closed only by acknowledgement`;
  if (cause === "i_am_fine" && kind !== "inactivity")
    return `"I am fine" clears inactivity only, not ${kind}`;
  return undefined;
}
