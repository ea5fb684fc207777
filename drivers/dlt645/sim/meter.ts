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
  diToBytes,
  encodeFrame,
  encodeValue,
  errorReply,
  readReply,
  WILDCARD_ADDRESS,
} from "../codec.js";
import { Control1997, di1997ToBytes, errorReply1997, METER_NUMBER_DI, readReply1997 } from "../codec1997.js";

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
  /** Which edition the meter speaks. Default 2007. */
  edition?: 1997 | 2007;
  /**
   * Value bytes per reply frame: a longer value is sent in pieces through the read follow-up sequence
   * (2007: B1H, then 12H/B2H or 92H by frame number; 1997: A1H, then 02H/A2H or 82H). Default: whole.
   */
  frameValueBytes?: number;
}

/**
 * A DL/T 645 meter (2007 or 1997) on a simulated RS-485 line. It answers real frames addressed to it (or to the
 * AA wildcard, whole or in its high bytes), ignores everything else on the bus — other meters' frames,
 * other protocols, noise — and can be told to fail in the ways real meters do.
 */
export class Dlt645Meter implements SimulatedDevice {
  readonly address: string;
  fault: Dlt645Fault;
  /** Requests this meter recognised as its own, by control code; for assertions. */
  readonly seen = { readData: 0, readAddress: 0, followUp: 0, other: 0 };
  readonly edition: 1997 | 2007;
  /** The value still to send by follow-up frames, by identifier. */
  readonly #pending = new Map<string, Buffer>();
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
    this.edition = options.edition ?? 2007;
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
    const wildcard = frame.address === WILDCARD_ADDRESS;
    const reply =
      this.edition === 2007
        ? this.#answer(frame.control, frame.data, wildcard)
        : this.#answer1997(frame.control, frame.data, wildcard);
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
    if (control === Control.ReadFollowUp) {
      this.seen.followUp++;
      if (this.fault === "silence") return undefined;
      return this.#followUp2007(data, preamble);
    }
    if (control !== Control.ReadData) {
      this.seen.other++;
      // A 1997 function (01H–10H, broadcast time aside) is refused with C|C0H "other error", as the
      // 2007 meter of github.com/600888/dlt645 (serversvc/handle_request.go, default branch) does, to
      // its own address and to AA..AA (server_service.go, validateDevice).
      const fn = control & 0x1f;
      if ((control & 0x80) === 0 && fn >= 0x01 && fn <= 0x10 && fn !== 0x08 && this.fault !== "silence")
        return encodeFrame(
          { address: this.address, control: control | 0xc0, data: Buffer.from([0x01]) },
          { preamble },
        );
      return undefined;
    }
    this.seen.readData++;
    if (this.fault === "silence") return undefined;
    if (this.fault === "abnormal") return errorReply(this.address, 0x01, { preamble });
    if (data.length < 4) return errorReply(this.address, 0x01, { preamble });
    const di = Buffer.from(data.subarray(0, 4)).reverse().toString("hex").toUpperCase();
    const bytes = this.#encoded(di);
    if (typeof bytes === "number") return errorReply(this.address, bytes, { preamble });
    const chunk = this.#opts.frameValueBytes ?? bytes.length;
    if (bytes.length <= chunk) return readReply(this.address, di, bytes, false, { preamble });
    this.#pending.set(di, bytes.subarray(chunk));
    return readReply(this.address, di, bytes.subarray(0, chunk), true, { preamble });
  }

  #followUp2007(data: Buffer, preamble: number): Buffer {
    const di =
      data.length >= 5 ? Buffer.from(data.subarray(0, 4)).reverse().toString("hex").toUpperCase() : "";
    const rest = this.#pending.get(di);
    if (!rest)
      return encodeFrame(
        { address: this.address, control: Control.ReadFollowUpError, data: Buffer.from([0x02]) },
        { preamble },
      );
    const chunk = this.#opts.frameValueBytes ?? rest.length;
    const more = rest.length > chunk;
    if (more) this.#pending.set(di, rest.subarray(chunk));
    else this.#pending.delete(di);
    const seq = data[4] as number;
    return encodeFrame(
      {
        address: this.address,
        control: more ? Control.ReadFollowUpReplyMore : Control.ReadFollowUpReply,
        data: Buffer.concat([diToBytes(di), rest.subarray(0, chunk), Buffer.from([seq])]),
      },
      { preamble },
    );
  }

  /**
   * The 1997 side, after the 1997 meter firmware of github.com/hoanghon00/meter-dlt645-1997
   * (APP/HUCK/Protocol/C/Data_Trans.c): at AA..AA only read data and read follow-up are allowed, other
   * frames there stay unanswered (Check_Frame_Meter_Addr); to its own address a control code it does
   * not know (a 2007 11H) is refused with C|C0H and the "illegal data" bit (Check_DLT645_Data_Len).
   */
  #answer1997(control: number, data: Buffer, wildcard: boolean): Buffer | undefined {
    const preamble = this.#opts.preamble ?? 2;
    const enc = { preamble };
    const isRead = control === Control1997.ReadData || control === Control1997.ReadFollowUp;
    if (!isRead) {
      this.seen.other++;
      if (wildcard || (control & 0x80) !== 0 || this.fault === "silence") return undefined;
      return encodeFrame({ address: this.address, control: control | 0xc0, data: Buffer.from([0x01]) }, enc);
    }
    if (control === Control1997.ReadFollowUp) this.seen.followUp++;
    else this.seen.readData++;
    if (this.fault === "silence") return undefined;
    if (this.fault === "abnormal" || data.length < 2) return errorReply1997(this.address, 0x01, enc);
    const di = Buffer.from(data.subarray(0, 2)).reverse().toString("hex").toUpperCase();
    if (di === METER_NUMBER_DI) {
      this.seen.readAddress++;
      return readReply1997(this.address, di, Buffer.from(this.address, "hex").reverse(), false, enc);
    }
    if (control === Control1997.ReadFollowUp) {
      const rest = this.#pending.get(di);
      if (!rest)
        return encodeFrame(
          { address: this.address, control: Control1997.ReadFollowUpError, data: Buffer.from([0x02]) },
          enc,
        );
      const chunk = this.#opts.frameValueBytes ?? rest.length;
      const more = rest.length > chunk;
      if (more) this.#pending.set(di, rest.subarray(chunk));
      else this.#pending.delete(di);
      return encodeFrame(
        {
          address: this.address,
          control: more ? Control1997.ReadFollowUpReplyMore : Control1997.ReadFollowUpReply,
          data: Buffer.concat([di1997ToBytes(di), rest.subarray(0, chunk)]),
        },
        enc,
      );
    }
    const bytes = this.#encoded(di);
    // 1997 has no "no requested data" bit: an identifier the meter does not have is "wrong data identifier".
    if (typeof bytes === "number") return errorReply1997(this.address, bytes === 0x02 ? 0x02 : 0x01, enc);
    const chunk = this.#opts.frameValueBytes ?? bytes.length;
    if (bytes.length <= chunk) return readReply1997(this.address, di, bytes, false, enc);
    this.#pending.set(di, bytes.subarray(chunk));
    return readReply1997(this.address, di, bytes.subarray(0, chunk), true, enc);
  }

  /** The identifier's value on the wire, or the error byte to answer with (02: no such data; 01: other). */
  #encoded(di: string): Buffer | number {
    const id = this.#byDi.get(di);
    const value = id ? this.#valueOf(id) : undefined;
    if (!id || value === undefined) return 0x02;
    try {
      return encodeValue(value / (id.scale ?? 1), id);
    } catch {
      // A value the format cannot carry: a real meter reports "other error".
      return 0x01;
    }
  }

  /** In the identifier's profile unit (after `scale`), or undefined: "no requested data". */
  #valueOf(id: SimIdentifier): number | undefined {
    const named = this.#opts.named?.()[id.name];
    if (named !== undefined) return named;
    return id.channel ? this.#opts.values()[id.channel] : undefined;
  }
}
