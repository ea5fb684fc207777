import type { Channel } from "../../../src/core/channels.js";
import { ErrorCode, HearthError, isHearthError } from "../../../src/core/errors.js";
import type { Dlt645Identifier } from "../../../src/profiles/dlt645.js";
import { addressMatches } from "../../common/meters.js";
import { applyWireFault } from "../../common/sim.js";
import type { SimReply, SimulatedDevice } from "../../serial/sim/index.js";
import {
  addressReply,
  Control,
  decodeFrame,
  encodeValue,
  errorReply,
  readReply,
  WILDCARD_ADDRESS,
} from "../codec.js";

/** How the simulated meter misbehaves; mutable at run time so tests can break and heal it. */
export type Dlt645Fault = "none" | "bad-checksum" | "silence" | "garbage" | "abnormal";

/** The identifiers a simulated meter answers: the shape of a profile's `dlt645.identifiers`. */
export type SimIdentifier = Pick<
  Dlt645Identifier,
  "name" | "di" | "length" | "decimals" | "signed" | "scale"
> &
  Partial<Pick<Dlt645Identifier, "channel" | "unit">>;

export interface Dlt645MeterOptions {
  /** 12 digits as printed on the meter. */
  address: string;
  /** What the meter answers: a profile's identifiers (their formats, scales and channels). */
  identifiers: readonly SimIdentifier[];
  /** Current values by semantic channel, in the channel's unit (W, kWh, ...), read at every request. */
  values: () => Partial<Record<Channel, number>>;
  /** Values of identifiers without a channel (or overriding one), by identifier name, in the profile unit. */
  named?: () => Record<string, number>;
  /** Turnaround before the reply; the standard allows 20–500 ms. Default 0. */
  delayMs?: number;
  /** FE bytes before each reply. Default 2 (meters often send some, the standard allows them). */
  preamble?: number;
  fault?: Dlt645Fault;
}

/**
 * A DL/T 645-2007 meter on a simulated RS-485 line. It answers real frames addressed to it (or to the
 * AA wildcard, whole or in its high bytes), ignores everything else on the bus — other meters' frames,
 * other protocols, noise — and can be told to fail in the ways real meters do.
 */
export class Dlt645Meter implements SimulatedDevice {
  readonly address: string;
  fault: Dlt645Fault;
  /** Requests this meter recognised as its own, by control code; for assertions. */
  readonly seen = { readData: 0, readAddress: 0, other: 0 };
  readonly #byDi = new Map<string, SimIdentifier>();
  readonly #opts: Dlt645MeterOptions;

  constructor(options: Dlt645MeterOptions) {
    if (!/^[0-9]{12}$/.test(options.address))
      throw new HearthError(
        `Dlt645Meter address must be 12 digits, got ${JSON.stringify(options.address)}`,
        ErrorCode.ConfigInvalid,
        { address: options.address },
      );
    this.address = options.address;
    this.fault = options.fault ?? "none";
    this.#opts = options;
    for (const id of options.identifiers) this.#byDi.set(id.di.toUpperCase(), id);
  }

  respond(request: Buffer): SimReply | undefined {
    let frame: ReturnType<typeof decodeFrame>;
    try {
      frame = decodeFrame(request);
    } catch (e) {
      if (isHearthError(e)) return undefined; // not a DL/T 645 frame, or corrupted: a meter stays quiet
      throw e;
    }
    // AA bytes in the request address are wildcards (abbreviated addressing).
    if (!addressMatches(frame.address, this.address, 6)) return undefined;
    const reply = this.#answer(frame.control, frame.data, frame.address === WILDCARD_ADDRESS);
    if (!reply) return undefined;
    return { data: applyWireFault(this.fault, reply), delayMs: this.#opts.delayMs ?? 0 };
  }

  #answer(control: number, data: Buffer, wildcard: boolean): Buffer | undefined {
    const preamble = this.#opts.preamble ?? 2;
    if (control === Control.ReadAddress) {
      if (!wildcard) return undefined;
      this.seen.readAddress++;
      if (this.fault === "silence") return undefined;
      return addressReply(this.address, { preamble });
    }
    if (control !== Control.ReadData) {
      this.seen.other++;
      return undefined;
    }
    this.seen.readData++;
    if (this.fault === "silence") return undefined;
    if (this.fault === "abnormal") return errorReply(this.address, 0x01, { preamble });
    if (data.length < 4) return errorReply(this.address, 0x01, { preamble });
    const di = Buffer.from(data.subarray(0, 4)).reverse().toString("hex").toUpperCase();
    const id = this.#byDi.get(di);
    const value = id ? this.#valueOf(id) : undefined;
    if (!id || value === undefined) return errorReply(this.address, 0x02, { preamble });
    let bytes: Buffer;
    try {
      bytes = encodeValue(value / (id.scale ?? 1), id);
    } catch {
      // A value the format cannot carry: a real meter reports "other error".
      return errorReply(this.address, 0x01, { preamble });
    }
    return readReply(this.address, di, bytes, false, { preamble });
  }

  /** In the identifier's profile unit (after `scale`), or undefined: "no requested data". */
  #valueOf(id: SimIdentifier): number | undefined {
    const named = this.#opts.named?.()[id.name];
    if (named !== undefined) return named;
    return id.channel ? this.#opts.values()[id.channel] : undefined;
  }
}
