import type { Channel } from "../../../src/core/channels.js";
import { ErrorCode, HearthError, isHearthError } from "../../../src/core/errors.js";
import { addressMatches } from "../../common/meters.js";
import { applyWireFault } from "../../common/sim.js";
import type { SimReply, SimulatedDevice } from "../../serial/sim/index.js";
import { Control, DI, type DiOrder, decodeFrame, MeterType, WILDCARD_TYPE } from "../codec.js";
import { addressReply, errorReply, meterDataReply } from "../meter-replies.js";

/** How the simulated meter misbehaves; mutable at run time. */
export type Cjt188Fault = "none" | "bad-checksum" | "silence" | "garbage" | "error-reply";

export interface Cjt188MeterOptions {
  /** 14 digits as printed on the meter. */
  address: string;
  /** T byte; default 0x10 cold water. */
  meterType?: number;
  /** Current values by semantic channel, read at every request; the meter reports `water_total_m3`. */
  values: () => Partial<Record<Channel, number>>;
  /** Settlement-day flow in m³; default 0. */
  settlementM3?: () => number;
  /** Report totals in litres (unit 0x29) instead of m³ (0x2C), as some meters do. */
  litres?: boolean;
  /** Meter clock; default none (zeros). */
  time?: () => Date;
  /** Status word ST0 | ST1 << 8; default 0 (valve open, battery fine). */
  status?: () => number;
  /** Byte order this meter uses for DIs in its replies. Default standard (90 1F). */
  diOrder?: DiOrder;
  delayMs?: number;
  preamble?: number;
  fault?: Cjt188Fault;
  /**
   * How the meter's 901F replies look, as real meters' do: "full" (default), "ff-fields" (settlement
   * flow, time and status sent as FF…, which it does not measure), "short" (current flow only), or
   * "ff-current" (the current flow itself FF…: the agent must report nothing, never 0). Mutable.
   */
  replyShape?: Cjt188ReplyShape;
}

export type Cjt188ReplyShape = "full" | "ff-fields" | "short" | "ff-current";

/**
 * A CJ/T 188-2004 water meter on a simulated line: answers "read data 901F" addressed to it and the
 * wildcard "read address", accepting DIs in either byte order as tolerant meters do, and stays quiet
 * for everything else on the bus.
 */
export class Cjt188Meter implements SimulatedDevice {
  readonly address: string;
  readonly meterType: number;
  fault: Cjt188Fault;
  replyShape: Cjt188ReplyShape;
  readonly seen = { readData: 0, readAddress: 0, other: 0 };
  readonly #opts: Cjt188MeterOptions;

  constructor(options: Cjt188MeterOptions) {
    if (!/^[0-9]{14}$/.test(options.address))
      throw new HearthError(
        `Cjt188Meter address must be 14 digits, got ${JSON.stringify(options.address)}`,
        ErrorCode.ConfigInvalid,
        { address: options.address },
      );
    this.address = options.address;
    this.meterType = options.meterType ?? MeterType.ColdWater;
    this.fault = options.fault ?? "none";
    this.replyShape = options.replyShape ?? "full";
    this.#opts = options;
  }

  respond(request: Buffer): SimReply | undefined {
    let frame: ReturnType<typeof decodeFrame>;
    try {
      frame = decodeFrame(request);
    } catch (e) {
      if (isHearthError(e)) return undefined;
      throw e;
    }
    if (frame.meterType !== this.meterType && frame.meterType !== WILDCARD_TYPE) return undefined;
    // AA bytes in the request address are wildcards (abbreviated addressing).
    if (!addressMatches(frame.address, this.address, 7)) return undefined;
    const reply = this.#answer(frame.control, frame.data);
    if (!reply) return undefined;
    return { data: applyWireFault(this.fault, reply), delayMs: this.#opts.delayMs ?? 0 };
  }

  #answer(control: number, data: Buffer): Buffer | undefined {
    const preamble = this.#opts.preamble ?? 2;
    const di = data.length >= 2 ? ((data[0] as number) << 8) | (data[1] as number) : -1;
    const swappedDi = data.length >= 2 ? ((data[1] as number) << 8) | (data[0] as number) : -1;
    const ser = (data[2] as number | undefined) ?? 0;
    const isDi = (want: number) => di === want || swappedDi === want;
    if (control === Control.ReadAddress && isDi(DI.ReadAddress)) {
      this.seen.readAddress++;
      if (this.fault === "silence") return undefined;
      return addressReply(this.meterType, this.address, ser, { preamble, diOrder: this.#opts.diOrder });
    }
    if (control !== Control.ReadData) {
      this.seen.other++;
      return undefined;
    }
    this.seen.readData++;
    if (this.fault === "silence") return undefined;
    if (this.fault === "error-reply" || !isDi(DI.MeterData))
      return errorReply(this.meterType, this.address, ser, this.#opts.status?.() ?? 0, { preamble });
    const scale = this.#opts.litres ? 1000 : 1;
    const unit = this.#opts.litres ? 0x29 : 0x2c;
    return meterDataReply(
      this.meterType,
      this.address,
      ser,
      {
        current: (this.#opts.values().water_total_m3 ?? 0) * scale,
        currentUnit: unit,
        settlement: (this.#opts.settlementM3?.() ?? 0) * scale,
        settlementUnit: unit,
        time: this.#opts.time?.(),
        status: this.#opts.status?.() ?? 0,
        diOrder: this.#opts.diOrder,
        short: this.replyShape === "short",
        unsupported:
          this.replyShape === "ff-fields"
            ? ["settlement", "time", "status"]
            : this.replyShape === "ff-current"
              ? ["current"]
              : [],
      },
      { preamble },
    );
  }
}
