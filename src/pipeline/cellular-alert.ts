import type { AlertManager } from "./alerts.js";

/** The device named in the second path's `monitoring_degraded` alert: the gateway's cellular modem. */
export const CELLULAR_DEVICE = "modem";

/**
 * The SMS fallback's modem (src/cellular/supervision.ts) as a sense of its own: one open
 * `monitoring_degraded` alert (sense `cellular`) while it cannot send, raised with the first problem's
 * evidence and cleared with cause `recovered` when it can again (`problem` undefined).
 */
export function followCellular(alerts: AlertManager, problem: Record<string, unknown> | undefined): void {
  const open = alerts.findOpen("monitoring_degraded", CELLULAR_DEVICE);
  if (problem && !open)
    alerts.raise(
      "monitoring_degraded",
      {
        sense: "cellular",
        ...problem,
        note: "calls and falls cannot go out by SMS while the internet link is down",
      },
      CELLULAR_DEVICE,
    );
  else if (!problem && open)
    alerts.transition(open.alert, "cleared", "recovered", { sense: "cellular", modem: "ok" });
}
