import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { addressToWire, bcdToInt, wireToAddress } from "../common/bcd.js";
import {
  allocFrame,
  checkFrameEnd,
  checkFrameStart,
  closeFrame,
  END,
  frameEnd,
  START,
  skipWake,
  WAKE,
} from "../common/frame.js";
import { hex2 } from "../common/hex.js";
import { decodeStatus, type HeatData, parseMeterFields, type Status } from "./reply-901f.js";

/**
 * CJ/T 188-2004 (户用计量仪表数据传输技术条件) frames, pure:
 *
 *   [FE ...] 68 T A0..A6 C L DATA(L bytes) CS 16        DATA = DI0 DI1 SER ...
 *
 * T is the meter type (0x10 cold water), the address is 14 BCD digits lowest byte first, CS the sum
 * modulo 256 from 68 to the last data byte. Unlike DL/T 645 there is no 0x33 offset.
 *
 * DI byte order: the standard writes the identifier "901F" and most meters send 90 then 1F; some send
 * 1F 90. Requests use `diOrder`; replies are accepted in either order and say which they used.
 *
 * The unit table is in units.ts; the replies a meter sends (simulators, tests) in meter-replies.ts.
 */

const P = "CJ/T 188";

/** 68 start, 16 end, FE wake-up: the envelope both meter protocols share (drivers/common/frame.ts). */
export { END, START, WAKE };
/** 68 + T + 7 address + C + L + CS + 16. */
export const OVERHEAD = 13;
/** Longest data field we accept; real replies are far shorter, and a cap lets noise resync quickly. */
export const MAX_DATA = 100;
export const WILDCARD_ADDRESS = "AAAAAAAAAAAAAA";
export const WILDCARD_TYPE = 0xaa;
export const DEFAULT_PREAMBLE = 2;

export const MeterType = {
  ColdWater: 0x10,
  HotWater: 0x11,
  DrinkingWater: 0x12,
  ReclaimedWater: 0x13,
  HeatMeterHeat: 0x20,
  HeatMeterCold: 0x21,
  Gas: 0x30,
  Electricity: 0x40,
} as const;

export const Control = {
  ReadData: 0x01,
  ReadAddress: 0x03,
  ReadDataReply: 0x81,
  ReadAddressReply: 0x83,
  ReadDataError: 0xc1,
  ReadAddressError: 0xc3,
} as const;

export const DI = {
  /** Metering data: current and settlement-day cumulative flow, real time, status. */
  MeterData: 0x901f,
  ReadAddress: 0x810a,
} as const;

export type DiOrder = "standard" | "swapped";

export interface Cjt188Frame {
  meterType: number;
  /** 14 characters, most significant first, as printed on the meter ('A' nibbles for wildcards). */
  address: string;
  control: number;
  data: Buffer;
}

export interface EncodeOptions {
  /** FE wake-up bytes before the frame (0–4). Default 2. */
  preamble?: number;
}

export function encodeFrame(frame: Cjt188Frame, options: EncodeOptions = {}): Buffer {
  const preamble = options.preamble ?? DEFAULT_PREAMBLE;
  const out = allocFrame(P, preamble, OVERHEAD, frame.data.length);
  let o = preamble;
  out[o++] = START;
  out[o++] = frame.meterType & 0xff;
  addressToWire(frame.address, 7, P).copy(out, o);
  o += 7;
  out[o++] = frame.control & 0xff;
  out[o++] = frame.data.length;
  Buffer.from(frame.data).copy(out, o);
  o += frame.data.length;
  closeFrame(out, preamble, o);
  return out;
}

/**
 * Length of the frame at the start of `rx` (FE preamble included), for SerialLine: 0 when more bytes
 * are needed, -1 when rx[0] cannot begin a frame. The checksum is left to `decodeFrame`.
 */
export function frameLength(rx: Uint8Array): number {
  const i = skipWake(rx);
  if (i === rx.length) return 0;
  if (rx[i] !== START) return -1;
  if (rx.length < i + 11) return 0;
  return frameEnd(rx, i, rx[i + 10] as number, OVERHEAD, MAX_DATA);
}

export function decodeFrame(buf: Uint8Array): Cjt188Frame {
  const i = skipWake(buf);
  checkFrameStart(P, buf, i, OVERHEAD);
  const len = checkFrameEnd(P, buf, i, 10, OVERHEAD);
  return {
    meterType: buf[i + 1] as number,
    address: wireToAddress(buf.subarray(i + 2, i + 9)),
    control: buf[i + 9] as number,
    data: Buffer.from(buf.subarray(i + 11, i + 11 + len)),
  };
}

export function diBytes(di: number, order: DiOrder = "standard"): Buffer {
  const hi = (di >> 8) & 0xff;
  const lo = di & 0xff;
  return Buffer.from(order === "standard" ? [hi, lo] : [lo, hi]);
}

/** Reads a DI from two data bytes, expecting `di` in either order. */
function matchDi(data: Uint8Array, di: number): DiOrder | undefined {
  const a = data[0] as number;
  const b = data[1] as number;
  if (((a << 8) | b) === di) return "standard";
  if (((b << 8) | a) === di) return "swapped";
  return undefined;
}

// ---- requests -----------------------------------------------------------------------------------------

export function readDataRequest(
  meterType: number,
  address: string,
  ser: number,
  options: EncodeOptions & { di?: number; diOrder?: DiOrder } = {},
): Buffer {
  const data = Buffer.concat([
    diBytes(options.di ?? DI.MeterData, options.diOrder),
    Buffer.from([ser & 0xff]),
  ]);
  return encodeFrame({ meterType, address, control: Control.ReadData, data }, options);
}

/** Discovery: "who is there?" to the wildcard address (only works with one meter on the line). */
export function readAddressRequest(
  ser: number,
  options: EncodeOptions & { meterType?: number; diOrder?: DiOrder } = {},
): Buffer {
  const data = Buffer.concat([diBytes(DI.ReadAddress, options.diOrder), Buffer.from([ser & 0xff])]);
  return encodeFrame(
    {
      meterType: options.meterType ?? WILDCARD_TYPE,
      address: WILDCARD_ADDRESS,
      control: Control.ReadAddress,
      data,
    },
    options,
  );
}

// ---- replies ------------------------------------------------------------------------------------------

export type { HeatData, Measured, Status } from "./reply-901f.js";
export { decodeStatus } from "./reply-901f.js";
export type Valve = Status["valve"];

export interface MeterData {
  meterType: number;
  address: string;
  ser: number;
  diOrder: DiOrder;
  /** Current cumulative flow (heat meters: heat) as sent, in `currentUnit`; absent when sent as FF. */
  current?: number;
  currentUnit?: number;
  /** Settlement-day cumulative flow (heat meters: heat) as sent, in `settlementUnit`. */
  settlement?: number;
  settlementUnit?: number;
  /** Meter's clock as "YYYY-MM-DD hh:mm:ss", or undefined when it sent no valid time. */
  time: string | undefined;
  /** Absent when the reply stopped before it or sent FF FF. */
  status?: Status;
  /** Heat meters (T 0x2x) only. */
  heat?: HeatData;
  /** Fields sent as FF… (the meter does not measure them), and fields a short reply left out. */
  unsupported: string[];
  missing: string[];
}

export type ReadReply =
  | { kind: "data"; data: MeterData }
  | { kind: "error"; address: string; ser: number; status: Status };

/** DI0 DI1 SER, then the current flow: the least a short 901F reply carries. */
const SHORT_LENGTH = 8;

/** Interprets a decoded frame as the reply to "read data 901F" of a water, gas or heat meter. */
export function parseReadReply(frame: Cjt188Frame): ReadReply {
  const d = frame.data;
  if (frame.control === Control.ReadDataError) {
    // Error reply: SER ST0 ST1 (some meters put DI0 DI1 first).
    if (d.length < 3)
      throw new HearthError(
        `${P}: error reply of ${d.length} bytes, expected SER and two status bytes`,
        ErrorCode.FrameTruncated,
        {
          protocol: P,
          offset: 11 + d.length,
        },
      );
    const k = d.length >= 5 ? 2 : 0;
    return {
      kind: "error",
      address: frame.address,
      ser: d[k] as number,
      status: decodeStatus(d[k + 1] as number, d[k + 2] as number),
    };
  }
  if (frame.control !== Control.ReadDataReply)
    throw new HearthError(
      `${P}: control code ${hex2(frame.control)} is not a reply to read data`,
      ErrorCode.FrameUnexpected,
      {
        protocol: P,
        offset: 9,
        control: frame.control,
      },
    );
  if (d.length < 2)
    throw new HearthError(`${P}: read reply without its identifier`, ErrorCode.FrameTruncated, {
      protocol: P,
      offset: 11,
    });
  const diOrder = matchDi(d, DI.MeterData);
  if (!diOrder)
    throw new HearthError(
      `${P}: reply identifier ${hex2(d[0] as number)}${hex2(d[1] as number)} is not 901F`,
      ErrorCode.FrameUnsupported,
      { protocol: P, offset: 11 },
    );
  if (d.length < SHORT_LENGTH)
    throw new HearthError(
      `${P}: 901F reply of ${d.length} data bytes, expected at least ${SHORT_LENGTH} (identifier, SER, current value and unit)`,
      ErrorCode.FrameTruncated,
      {
        protocol: P,
        offset: 11 + d.length,
      },
    );
  // Offsets in errors are frame offsets (data starts at 11 after 68 T A×7 C L).
  const f = parseMeterFields(frame.meterType, d);
  const data: MeterData = {
    meterType: frame.meterType,
    address: frame.address,
    ser: d[2] as number,
    diOrder,
    time: f.time,
    unsupported: f.unsupported,
    missing: f.missing,
  };
  if (f.current) {
    data.current = f.current.value;
    data.currentUnit = f.current.unit;
  }
  if (f.settlement) {
    data.settlement = f.settlement.value;
    data.settlementUnit = f.settlement.unit;
  }
  if (f.status) data.status = f.status;
  if (f.heat) data.heat = f.heat;
  return { kind: "data", data };
}

export interface AddressReply {
  meterType: number;
  address: string;
  ser: number;
  diOrder: DiOrder;
}

/** The meter type and address carried by a read-address reply (0x83 with DI 810A). */
export function parseAddressReply(frame: Cjt188Frame): AddressReply {
  if (frame.control !== Control.ReadAddressReply)
    throw new HearthError(
      `${P}: control code ${hex2(frame.control)} is not a read-address reply`,
      ErrorCode.FrameUnexpected,
      {
        protocol: P,
        offset: 9,
        control: frame.control,
      },
    );
  if (frame.data.length < 3)
    throw new HearthError(
      `${P}: read-address reply of ${frame.data.length} data bytes, expected 3`,
      ErrorCode.FrameTruncated,
      {
        protocol: P,
        offset: 11 + frame.data.length,
      },
    );
  const diOrder = matchDi(frame.data, DI.ReadAddress);
  if (!diOrder)
    throw new HearthError(`${P}: read-address reply identifier is not 810A`, ErrorCode.FrameUnexpected, {
      protocol: P,
      offset: 11,
    });
  bcdToInt(addressToWire(frame.address, 7, P), 2, "address", P);
  return { meterType: frame.meterType, address: frame.address, ser: frame.data[2] as number, diOrder };
}
