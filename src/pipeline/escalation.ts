import { isCallClass } from "../contract/lifecycle.js";
import { SECOND_MS } from "../core/time.js";
import type { AlertManager } from "./alerts.js";

/**
 * Raised → escalated: an inactivity alert or a call-class alert (call, fall) left alone (neither
 * acknowledged nor cleared) for `afterMs` is escalated once, so the cloud can widen the circle of
 * carers it tells.
 */
export class Escalation {
  constructor(
    readonly alerts: AlertManager,
    readonly afterMs: number,
    /** The evidence an escalated inactivity alert carries about the last activity. */
    readonly inactivityEvidence: () => Record<string, unknown>,
  ) {}

  /** Escalates every alert due at `nowMono` (once a minute). */
  check(nowMono: number): void {
    for (const a of this.alerts.open()) {
      if (a.state !== "raised" || (a.kind !== "inactivity" && !isCallClass(a.kind))) continue;
      if (nowMono - a.changedMono < this.afterMs) continue;
      this.alerts.transition(a.alert, "escalated", "timeout", {
        ...(a.kind === "inactivity" ? this.inactivityEvidence() : {}),
        open_for_s: Math.round((nowMono - a.changedMono) / SECOND_MS),
      });
    }
  }
}
