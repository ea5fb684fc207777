import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock } from "../core/clock.js";
import { MINUTE_MS, SECOND_MS } from "../core/time.js";
import { ActivityExtractor, type ActivityListener } from "./activity.js";
import { type AlertManager, GATEWAY_DEVICE } from "./alerts.js";
import { DEFAULT_WATER_RESOLUTION_M3, type ResolvedDetection } from "./options.js";

/**
 * What the meters alone tell that is not a person's activity: continuous water flow (a leak, or a tap
 * a person cannot turn off) and a power cut. One open alert of each per meter; the meter's own
 * recovery closes it.
 */
export function meterAlertHooks(alerts: AlertManager, clock: Clock, timeZone: string): ActivityListener {
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
    leakEnded: (device) => closeRecovered(alerts, "leak", device, { flow: "stopped" }),
    outageStarted: (device, v) => {
      if (!alerts.findOpen("power_outage"))
        alerts.raise("power_outage", { voltage_v: v, note: "electricity silence is not counted" }, device);
    },
    outageEnded: (device, v) => closeRecovered(alerts, "power_outage", device, { voltage_v: v }),
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

/** Without a power register, power is taken from energy deltas over at least this long. */
const ENERGY_WINDOW_MS = 5 * MINUTE_MS;

/** The extractor of activity from the meters (and the BLE senses), with the detection settings. */
export function meterActivity(
  d: ResolvedDetection,
  waterResolutionM3: number | undefined,
  listener: ActivityListener,
): ActivityExtractor {
  return new ActivityExtractor(
    {
      powerStepW: d.powerStepW,
      minStepW: d.minStepW,
      powerLearnMs: d.powerLearnMs,
      waterResolutionM3: waterResolutionM3 ?? DEFAULT_WATER_RESOLUTION_M3,
      leakAfterMs: d.leakAfterMs,
      leakGapMs: d.leakGapMs,
      outageVoltageV: d.outageVoltageV,
      energyWindowMs: ENERGY_WINDOW_MS,
    },
    listener,
  );
}

/**
 * The gateway's own power: off mains (running on its battery) is a power cut, whatever the meters
 * say; they are powered from the mains and fall silent with it.
 */
export function followGatewayPower(alerts: AlertManager, onMains: boolean, detail: string): void {
  const open = alerts.findOpen("power_outage", GATEWAY_DEVICE);
  if (!onMains && !open)
    alerts.raise(
      "power_outage",
      {
        source: "gateway power supply",
        detail,
        note: "the gateway runs on its battery; electricity silence and silent meters are not counted against the person",
      },
      GATEWAY_DEVICE,
    );
  else if (onMains && open)
    closeRecovered(alerts, "power_outage", GATEWAY_DEVICE, { source: "gateway power supply", detail });
}
