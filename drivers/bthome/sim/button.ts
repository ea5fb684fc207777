import type { ButtonEvent } from "../../../src/core/channels.js";
import type { Clock } from "../../../src/core/clock.js";
import { ErrorCode, HearthError } from "../../../src/core/errors.js";
import { normalizeMac } from "../../ble/mac.js";
import { type EncodableObject, encodeObjects, encodeServiceData } from "../codec.js";
import { keyFromHex } from "../encryption.js";
import { buttonEventCode } from "../objects.js";
import type { SimulatedScanner } from "./scanner.js";

export interface SimulatedButtonOptions {
  mac: string;
  /** Bind key (32 hex): adverts are encrypted with an increasing counter. */
  key?: string;
  scanner: SimulatedScanner;
  /** Copies of each advert put on air (a real button repeats each one). Default 5. */
  repeats?: number;
  /** Spread copies `gapMs` apart on this clock; without a clock all copies go out at once. */
  clock?: Clock;
  gapMs?: number;
  battery?: number;
  /** First encryption counter (default 1) and packet id (default 0). */
  counter?: number;
  packetId?: number;
  rssi?: number;
}

/**
 * A Shelly BLU Button1 as seen on air: each press is one BTHome v2 advert (packet id, battery, button
 * event), trigger-based flag set, optionally encrypted, repeated `repeats` times.
 */
export class SimulatedButton {
  readonly mac: string;
  readonly #key: Uint8Array | undefined;
  readonly #o: SimulatedButtonOptions;
  #counter: number;
  #packetId: number;
  battery: number;
  /** Service data of every advert sent, in order (one entry per advert, not per copy). */
  readonly sent: Uint8Array[] = [];

  constructor(options: SimulatedButtonOptions) {
    this.mac = normalizeMac(options.mac);
    this.#key = options.key !== undefined ? keyFromHex(options.key) : undefined;
    this.#o = options;
    this.#counter = options.counter ?? 1;
    this.#packetId = options.packetId ?? 0;
    this.battery = options.battery ?? 100;
  }

  /** Presses the button: one new advert carrying `event`, sent `repeats` times. Returns its bytes. */
  press(event: ButtonEvent = "press"): Uint8Array {
    const code = buttonEventCode(event);
    if (code === undefined) {
      throw new HearthError(
        `SimulatedButton.press: unknown event ${JSON.stringify(event)}`,
        ErrorCode.ValueOutOfRange,
      );
    }
    return this.#send([{ id: 0x3a, value: code }]);
  }

  /** A status advert: battery and "no event" (what the button sends in beacon mode). */
  beacon(): Uint8Array {
    return this.#send([{ id: 0x3a, value: 0 }]);
  }

  /** Puts an earlier advert on air again, byte for byte (a replay attack, or a radio echo). */
  replay(serviceData: Uint8Array, copies = 1): void {
    for (let i = 0; i < copies; i++) this.#o.scanner.transmit(this.#advert(serviceData));
  }

  /** Sends a plain (unencrypted) advert even if this button has a key: a spoofer's advert. */
  spoofPlain(event: ButtonEvent = "press"): Uint8Array {
    const code = buttonEventCode(event) ?? 1;
    const sd = encodeServiceData(
      encodeObjects([
        { id: 0x00, value: (this.#packetId + 100) % 256 },
        { id: 0x3a, value: code },
      ]),
      { triggerBased: true },
    );
    this.#o.scanner.transmit(this.#advert(sd));
    return sd;
  }

  get counter(): number {
    return this.#counter;
  }

  #send(extra: EncodableObject[]): Uint8Array {
    this.#packetId = (this.#packetId + 1) % 256;
    const payload = encodeObjects([
      { id: 0x00, value: this.#packetId },
      { id: 0x01, value: Math.max(0, Math.min(100, Math.round(this.battery))) },
      ...extra,
    ]);
    const sd = this.#key
      ? encodeServiceData(payload, {
          triggerBased: true,
          key: this.#key,
          mac: this.mac,
          counter: this.#counter++,
        })
      : encodeServiceData(payload, { triggerBased: true });
    this.sent.push(sd);
    const repeats = this.#o.repeats ?? 5;
    const { clock, gapMs } = this.#o;
    for (let i = 0; i < repeats; i++) {
      if (clock && gapMs && i > 0)
        clock.setTimeout(() => this.#o.scanner.transmit(this.#advert(sd)), gapMs * i);
      else this.#o.scanner.transmit(this.#advert(sd));
    }
    return sd;
  }

  #advert(serviceData: Uint8Array) {
    return { mac: this.mac, serviceData, ...(this.#o.rssi !== undefined ? { rssi: this.#o.rssi } : {}) };
  }
}
