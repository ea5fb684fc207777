import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock } from "../core/clock.js";
import type { Reading } from "../core/readings.js";
import type { AlertManager, AlertRecord } from "./alerts.js";

/**
 * A fall state from a fall-capable sensor raises a `fall` alert at once: no wait, no pre-alarm (a
 * person on the floor may not be able to answer). One open fall alert per sensor; a later fall
 * reading while it is open adds nothing, as the cloud already has it and republication keeps it
 * there. Only the cloud's acknowledgement closes it (`CALL_CLASS` in src/contract/lifecycle.ts).
 * A fall reading after the acknowledgement raises a new alert, even from a sensor that repeats the
 * same fall state: on the safe side, since some sensors send a fall and never its end.
 * Returns the alert raised, if one was.
 */
export function followFall(
  alerts: AlertManager,
  r: Reading,
  clock: Clock,
  timeZone: string,
): AlertRecord | undefined {
  if (r.channel !== "fall" || !(r.value > 0) || alerts.findOpen("fall", r.device)) return undefined;
  const seenMs = clock.wallMs() - (clock.monotonicMs() - r.mono);
  return alerts.raise(
    "fall",
    { channel: "fall", value: r.value, detected_at: isoWithOffset(seenMs, timeZone) },
    r.device,
  );
}
