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

export type TransitionCause = "activity" | "i_am_fine" | "cloud" | "device" | "timeout" | "recovered";

/** Why a transition is refused, or undefined when it is allowed. */
export function refuseTransition(
  kind: AlertKind,
  from: AlertState,
  to: AlertState,
  cause?: TransitionCause,
): string | undefined {
  if (!NEXT[from].includes(to)) return `an alert cannot go from ${from} to ${to}`;
  if (kind === "call" && to === "cleared") return "a call is closed only by acknowledgement";
  if (cause === "i_am_fine" && kind !== "inactivity")
    return `"I am fine" clears inactivity only, not ${kind}`;
  return undefined;
}
