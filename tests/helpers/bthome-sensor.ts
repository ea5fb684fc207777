/**
 * A BTHome v2 sensor on the simulated air (motion, door/window, presence): each report is one advert
 * (packet id, battery, the given objects), optionally encrypted with an increasing counter, put on air
 * `repeats` times as real devices repeat their adverts.
 */
import { type EncodableObject, encodeObjects, encodeServiceData } from "../../drivers/bthome/codec.js";
import { keyFromHex } from "../../drivers/bthome/encryption.js";
import type { SimulatedScanner } from "../../drivers/bthome/sim/index.js";

export class SimulatedSensor {
  #packetId = 0;
  #counter = 1;
  readonly #key: Uint8Array | undefined;

  constructor(
    readonly o: {
      mac: string;
      /** Where adverts go: a SimulatedScanner, or anything that keeps the bytes (e.g. for a mock BlueZ). */
      scanner: Pick<SimulatedScanner, "transmit">;
      key?: string;
      repeats?: number;
      battery?: number;
    },
  ) {
    this.#key = o.key !== undefined ? keyFromHex(o.key) : undefined;
  }

  /** One report carrying `objects` (ids in the spec's numerical order, after battery 0x01). */
  report(objects: readonly EncodableObject[], triggerBased = true): Uint8Array {
    this.#packetId = (this.#packetId + 1) % 256;
    const payload = encodeObjects([
      { id: 0x00, value: this.#packetId },
      { id: 0x01, value: this.o.battery ?? 95 },
      ...objects,
    ]);
    const sd = this.#key
      ? encodeServiceData(payload, {
          triggerBased,
          key: this.#key,
          mac: this.o.mac,
          counter: this.#counter++,
        })
      : encodeServiceData(payload, { triggerBased });
    for (let i = 0; i < (this.o.repeats ?? 3); i++)
      this.o.scanner.transmit({ mac: this.o.mac, serviceData: sd });
    return sd;
  }
}

/** Shelly BLU Motion's report: illuminance (lx) and motion, as Theengs Decoder's SBMO-003Z layout has it. */
export const motionObjects = (motion: boolean, lux = 120): EncodableObject[] => [
  { id: 0x05, value: lux },
  { id: 0x21, value: motion },
];

/** Shelly BLU Door/Window's report: illuminance, window (open 1 / closed 0), rotation. */
export const windowObjects = (open: boolean, lux = 80): EncodableObject[] => [
  { id: 0x05, value: lux },
  { id: 0x2d, value: open },
  { id: 0x3f, value: 0 },
];
