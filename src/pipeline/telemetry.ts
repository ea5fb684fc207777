import type { TelemetryBody } from "../contract/messages.js";
import { channelUnit } from "../core/channels.js";
import type { Reading } from "../core/readings.js";

/**
 * At most one telemetry message per device every `everyMs` (monotonic): a meter polled every few
 * seconds would otherwise fill the uplink with values nobody reads. 0 lets every message through.
 */
export class TelemetryThrottle {
  /** Monotonic time of the last message let through, keyed by device. */
  readonly #sent = new Map<string, number>();
  constructor(readonly everyMs: number) {}

  /** Whether a message of `device` may go now; if so, the next one waits `everyMs` from now. */
  pass(device: string, nowMono: number): boolean {
    const last = this.#sent.get(device);
    if (this.everyMs > 0 && last !== undefined && nowMono - last < this.everyMs) return false;
    this.#sent.set(device, nowMono);
    return true;
  }
}

/**
 * One telemetry message per device of a batch (a poll's readings together, with units), each handed
 * to `put` as soon as the throttle lets it through. `at` is the wall time of the batch in the home's
 * zone.
 */
export function sendTelemetry(
  batch: readonly Reading[],
  at: string,
  throttle: TelemetryThrottle,
  nowMono: number,
  put: (body: TelemetryBody) => void,
): void {
  const byDevice = new Map<string, Reading[]>();
  for (const r of batch) {
    const list = byDevice.get(r.device) ?? [];
    list.push(r);
    byDevice.set(r.device, list);
  }
  for (const [device, list] of byDevice) {
    if (!throttle.pass(device, nowMono)) continue;
    put({
      device,
      at,
      values: list.map((r) => ({ channel: r.channel, value: r.value, unit: channelUnit(r.channel) })),
    });
  }
}
