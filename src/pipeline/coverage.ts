import { isoWithOffset } from "../contract/timestamps.js";
import type { Reading, ReceiverKind } from "../core/readings.js";
import { SECOND_MS } from "../core/time.js";
import type { HeardEvery } from "../profiles/common.js";
import { type AlertManager, GATEWAY_DEVICE } from "./alerts.js";
import type { DeviceRegistry } from "./device-registry.js";
import { silenceLimitMs } from "./silence-limits.js";

const BLE_RECEIVER: ReceiverKind = {
  sense: "ble_receiver",
  note: "the call button and BLE sensors cannot be heard until the receiver is back",
};

export interface CoverageOptions {
  alerts: AlertManager;
  devices: DeviceRegistry;
  /**
   * A receiver, or a device with no `heardEvery`, silent this long is `monitoring_degraded`; a device
   * heard every so often, only after the longer of this and 2.5 of its intervals (silence-limits.ts).
   */
  degradedAfterMs: number;
  /** Per device id: how often it is heard when well, or `on_change` (never judged on silence). */
  heardEvery?: ReadonlyMap<string, HeardEvery>;
  timeZone: string;
}

/**
 * What the home can be observed with: a meter or sensor that has gone silent, or a BLE receiver
 * (adapter) that cannot hear, is `monitoring_degraded` naming the sense; when none of the senses can
 * be heard, or in a power cut, silence is not counted against the person.
 */
export class Coverage {
  readonly #o: CoverageOptions;
  /** Receivers (BLE adapters) by id: since when (monotonic) one has been unable to hear, and why. */
  readonly #receivers = new Map<string, { deafSinceMono: number; detail: string; what: ReceiverKind }>();
  /**
   * Devices whose liveness is reported for them (Zigbee2MQTT's availability): their silence is not
   * judged here, as a sensor that only reports on change or hourly is silent for long and still fine.
   */
  readonly #reported = new Set<string>();

  constructor(o: CoverageOptions) {
    this.#o = o;
  }

  /** A batch of readings came: a sense that answers again is no longer degraded. */
  answered(batch: readonly Reading[]): void {
    const { alerts, devices } = this.#o;
    for (const r of batch) {
      const open = alerts.findOpen("monitoring_degraded", r.device);
      if (open)
        alerts.transition(open.alert, "cleared", "recovered", {
          device: r.device,
          sense: devices.get(r.device).sense,
        });
    }
  }

  /** A receiver's report: it can hear (`ok`), or not, and why. */
  receiver(
    id: string,
    ok: boolean,
    detail: string,
    nowMono: number,
    what: ReceiverKind = BLE_RECEIVER,
  ): void {
    const { alerts } = this.#o;
    this.#reported.add(id);
    if (ok) {
      this.#receivers.delete(id);
      const open = alerts.findOpen("monitoring_degraded", id);
      if (open) alerts.transition(open.alert, "cleared", "recovered", { device: id, sense: what.sense });
      return;
    }
    const r = this.#receivers.get(id);
    if (r) r.detail = detail;
    else this.#receivers.set(id, { deafSinceMono: nowMono, detail, what });
  }

  /** Raises `monitoring_degraded` for every receiver and device silent too long (once a minute). */
  check(nowMono: number, wallMs: number): void {
    const { alerts, devices, degradedAfterMs, heardEvery, timeZone } = this.#o;
    for (const [id, r] of this.#receivers) {
      const deaf = nowMono - r.deafSinceMono;
      if (deaf < degradedAfterMs || alerts.findOpen("monitoring_degraded", id)) continue;
      alerts.raise(
        "monitoring_degraded",
        {
          sense: r.what.sense,
          detail: r.detail,
          since: isoWithOffset(wallMs - deaf, timeZone),
          missing_s: Math.round(deaf / SECOND_MS),
          note: r.what.note,
        },
        id,
      );
    }
    const onBattery = alerts.findOpen("power_outage", GATEWAY_DEVICE) !== undefined;
    for (const d of devices.list()) {
      const id = d.id;
      const limit = silenceLimitMs(heardEvery?.get(id), degradedAfterMs);
      if (Number.isNaN(d.lastReadingMono) || nowMono - d.lastReadingMono < limit) continue;
      if (this.#reported.has(id)) continue;
      if (alerts.findOpen("monitoring_degraded", id)) continue;
      // A mains-powered meter silent in a power cut is explained by the cut.
      if (onBattery && d.sense === "electricity") continue;
      const missing = nowMono - d.lastReadingMono;
      alerts.raise(
        "monitoring_degraded",
        {
          sense: d.sense ?? "unknown",
          last_seen: Number.isNaN(d.lastReadingMono) ? null : isoWithOffset(wallMs - missing, timeZone),
          missing_s: Math.round(missing / SECOND_MS),
          note: "no data is not no activity: this gap is not counted as silence while nothing is observed",
        },
        id,
      );
    }
  }

  /** Time not counted as silence: a power cut, or every sense the home has gone quiet. */
  paused(): boolean {
    const { alerts, devices } = this.#o;
    if (alerts.findOpen("power_outage")) return true;
    let senses = 0;
    let degraded = 0;
    for (const d of devices.list()) {
      if (d.sense === undefined && Number.isNaN(d.lastReadingMono)) continue;
      senses++;
      if (alerts.findOpen("monitoring_degraded", d.id)) degraded++;
    }
    return senses > 0 && degraded === senses;
  }
}
