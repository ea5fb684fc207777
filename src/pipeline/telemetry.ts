import type { TelemetryBody } from "../contract/messages.js";
import { channelUnit } from "../core/channels.js";
import type { Clock, Timer } from "../core/clock.js";
import type { Reading } from "../core/readings.js";
import { SECOND_MS } from "../core/time.js";

/** How long into a slot fresh readings are gathered before the slot's messages leave together. */
export const GATHER_MS = 10 * SECOND_MS;

/** A device's message waiting for its slot's release. */
interface Held {
  slot: number;
  body: TelemetryBody;
}

export interface TelemetrySlotsOptions {
  /** One message per device per slot of this length; 0 sends every reading at once. */
  everyMs: number;
  clock: Pick<Clock, "monotonicMs" | "setTimeout">;
  put: (body: TelemetryBody) => void;
  /** Default GATHER_MS, at most a tenth of the slot. */
  gatherMs?: number;
}

/**
 * At most one telemetry message per device per slot of `everyMs`, with the device's latest values of the
 * slot: a meter polled every few seconds would otherwise fill the uplink with values nobody reads
 * (docs/decisions/0007). The slots are the same for every device (multiples of `everyMs` on the
 * monotonic clock), and every device's message of a slot leaves in one burst, so the outbox commits them
 * together (one commit a slot instead of one per device: an SD card wears with every commit;
 * docs/decisions/outbox-disk-writes.md):
 *
 * - readings in the slot's first `gatherMs` are held until then, and leave together at its end (a meter
 *   polled every few seconds reports in that time);
 * - a device heard later in the slot (a sensor reporting every few minutes) is held until the next slot's
 *   release, and leaves with that burst;
 * - a device's first message leaves at once when it comes within one slot's length of the start (an
 *   installer watching the devices come up, the footprint bench's first publish); one first heard
 *   later (a door opened for the first time) waits for the burst like any other.
 *
 * Held messages live in memory only: a kill loses them (at most one message per device, of the current
 * and the previous slot). `flush` puts them at a clean stop.
 */
export class TelemetrySlots {
  readonly #o: TelemetrySlotsOptions;
  readonly #gatherMs: number;
  /** The slot of the last message put, by device. */
  readonly #sent = new Map<string, number>();
  /** The latest reading of a slot not yet released, by device. */
  readonly #held = new Map<string, Held>();
  /** Held messages of an earlier slot whose device has been heard in a newer one since. */
  #due: TelemetryBody[] = [];
  #timer: Timer | undefined;
  readonly #startMono: number;

  constructor(o: TelemetrySlotsOptions) {
    this.#o = o;
    this.#gatherMs = Math.min(o.gatherMs ?? GATHER_MS, o.everyMs / 10);
    this.#startMono = o.clock.monotonicMs();
  }

  /** One message per device of a poll's batch (its readings together, with units) at wall time `at`. */
  readings(batch: readonly Reading[], at: string): void {
    const byDevice = new Map<string, Reading[]>();
    for (const r of batch) {
      const list = byDevice.get(r.device) ?? [];
      list.push(r);
      byDevice.set(r.device, list);
    }
    for (const [device, list] of byDevice) {
      // Most polls of a slot come after the device's message went: nothing to build for them.
      if (this.#slotSent(device)) continue;
      this.offer({
        device,
        at,
        values: list.map((r) => ({ channel: r.channel, value: r.value, unit: channelUnit(r.channel) })),
      });
    }
  }

  /** Whether `device`'s message of the current slot has already been put. */
  #slotSent(device: string): boolean {
    const { everyMs } = this.#o;
    if (everyMs <= 0) return false;
    const sent = this.#sent.get(device);
    return sent !== undefined && sent >= Math.floor(this.#o.clock.monotonicMs() / everyMs);
  }

  /** A device's message now: put, held for its slot's release, or dropped (its slot already went). */
  offer(body: TelemetryBody): void {
    const { everyMs } = this.#o;
    if (everyMs <= 0) {
      this.#o.put(body);
      return;
    }
    const now = this.#o.clock.monotonicMs();
    const slot = Math.floor(now / everyMs);
    const sent = this.#sent.get(body.device);
    if (sent === undefined && now - this.#startMono < everyMs) {
      this.#sent.set(body.device, slot);
      this.#o.put(body);
      return;
    }
    if (sent !== undefined && sent >= slot) return;
    const held = this.#held.get(body.device);
    if (held && held.slot !== slot) {
      this.#due.push(held.body);
      this.#sent.set(body.device, held.slot);
    }
    this.#held.set(body.device, { slot, body });
    this.#schedule(now, slot);
  }

  /** Puts every held message now (a clean stop). */
  flush(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#release();
  }

  /** The release after `now`: the end of this slot's gathering, or else of the next slot's. */
  #schedule(now: number, slot: number): void {
    if (this.#timer) return;
    const start = slot * this.#o.everyMs;
    const at =
      now < start + this.#gatherMs ? start + this.#gatherMs : start + this.#o.everyMs + this.#gatherMs;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#release();
    }, at - now);
  }

  #release(): void {
    const out = this.#due;
    this.#due = [];
    for (const [device, h] of this.#held) {
      out.push(h.body);
      this.#sent.set(device, h.slot);
    }
    this.#held.clear();
    // One put that throws (the outbox closed under a stop) does not keep the others back.
    let failed: unknown;
    for (const body of out)
      try {
        this.#o.put(body);
      } catch (e) {
        failed ??= e;
      }
    if (failed !== undefined) throw failed;
  }
}
