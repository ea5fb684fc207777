import { type AlertManager, GATEWAY_DEVICE } from "./alerts.js";

/**
 * The `storage` alert follows the outbox's health: one open alert for the gateway, raised with the
 * evidence of the first fault (a later fault while it is open adds nothing), cleared with cause
 * `recovered` when storage is healthy again (`fault` undefined).
 */
export function followStorage(alerts: AlertManager, fault: Record<string, unknown> | undefined): void {
  const open = alerts.findOpen("storage");
  if (fault && !open) alerts.raise("storage", fault, GATEWAY_DEVICE);
  else if (!fault && open) alerts.transition(open.alert, "cleared", "recovered", { storage: "ok" });
}
