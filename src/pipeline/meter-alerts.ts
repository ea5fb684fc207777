import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock } from "../core/clock.js";
import { SECOND_MS } from "../core/time.js";
import type { ActivityListener } from "./activity.js";
import type { AlertManager } from "./alerts.js";

/**
 * What the meters alone tell that is not a person's activity: continuous water flow (a leak, or a tap
 * a person cannot turn off) and a power cut. One open alert of each per meter; the meter's own
 * recovery closes it.
 */
export function meterAlertHooks(alerts: AlertManager, clock: Clock, timeZone: string): ActivityListener {
  const close = (kind: "leak" | "power_outage", device: string, evidence: Record<string, unknown>) =>
    closeRecovered(alerts, kind, device, evidence);
  return {
    leakStarted: (device, rateM3h, sinceMono) => {
      if (alerts.findOpen("leak", device)) return;
      const agoMs = clock.monotonicMs() - sinceMono;
      alerts.raise(
        "leak",
        {
          flow_l_per_h: Math.round(rateM3h * 1000 * 10) / 10,
          flowing_since: isoWithOffset(clock.wallMs() - agoMs, timeZone),
          flowing_s: Math.round(agoMs / SECOND_MS),
          note: "continuous flow: a leak, a tap left running, or a person who cannot turn it off",
        },
        device,
      );
    },
    leakEnded: (device) => close("leak", device, { flow: "stopped" }),
    outageStarted: (device, v) => {
      if (!alerts.findOpen("power_outage"))
        alerts.raise("power_outage", { voltage_v: v, note: "electricity silence is not counted" }, device);
    },
    outageEnded: (device, v) => close("power_outage", device, { voltage_v: v }),
  };
}

/** Closes the open alert of `kind` for `device`, if there is one, as recovered. */
export function closeRecovered(
  alerts: AlertManager,
  kind: "leak" | "power_outage",
  device: string,
  evidence: Record<string, unknown>,
): void {
  const open = alerts.findOpen(kind, device);
  if (open) alerts.transition(open.alert, "cleared", "recovered", evidence);
}
