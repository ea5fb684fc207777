import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock } from "../core/clock.js";
import type { Reading } from "../core/readings.js";
import { MINUTE_MS } from "../core/time.js";
import type { AlertManager, AlertRecord } from "./alerts.js";

/**
 * After the cloud acknowledged a fall, a sensor still reporting the same fall state raises again only
 * after this long: Zigbee2MQTT republishes a device's whole state (fall state included) whenever any
 * of its attributes changes, and a carer on the way must not get a new alert per presence update. A
 * person still on the floor this long after "help is coming" is worth a new alert.
 */
export const FALL_REPEAT_AFTER_ACK_MS = 30 * MINUTE_MS;

/**
 * A fall state from a fall-capable sensor raises a `fall` alert at once: no wait, no pre-alarm (a
 * person on the floor may not be able to answer). One open fall alert per sensor; a later fall
 * reading while it is open adds nothing, as the cloud already has it and republication keeps it
 * there. Only the cloud's acknowledgement closes it (`CALL_CLASS` in src/contract/lifecycle.ts).
 * After that, a new fall (the state going off, then on) raises a new alert at once; the same fall
 * state repeated raises again only `FALL_REPEAT_AFTER_ACK_MS` after the last alert was raised.
 */
export class FallFollower {
  readonly #alerts: AlertManager;
  readonly #clock: Clock;
  readonly #timeZone: string;
  /** Per sensor: whether its last reading was a fall, and when its last fall alert was raised. */
  readonly #sensors = new Map<string, { falling: boolean; raisedMono: number }>();

  constructor(alerts: AlertManager, clock: Clock, timeZone: string) {
    this.#alerts = alerts;
    this.#clock = clock;
    this.#timeZone = timeZone;
  }

  /** Follows one reading of the `fall` channel; returns the alert raised, if one was. */
  follow(r: Reading): AlertRecord | undefined {
    if (r.channel !== "fall") return undefined;
    const falling = r.value > 0;
    const s = this.#sensors.get(r.device);
    this.#sensors.set(r.device, { falling, raisedMono: s?.raisedMono ?? Number.NEGATIVE_INFINITY });
    if (!falling || this.#alerts.findOpen("fall", r.device)) return undefined;
    const repeat = s?.falling === true;
    if (repeat && r.mono - (s?.raisedMono ?? 0) < FALL_REPEAT_AFTER_ACK_MS) return undefined;
    const seenMs = this.#clock.wallMs() - (this.#clock.monotonicMs() - r.mono);
    const rec = this.#alerts.raise(
      "fall",
      {
        channel: "fall",
        value: r.value,
        detected_at: isoWithOffset(seenMs, this.#timeZone),
        ...(repeat ? { note: "the sensor still reports the fall acknowledged before" } : {}),
      },
      r.device,
    );
    this.#sensors.set(r.device, { falling, raisedMono: r.mono });
    return rec;
  }
}
