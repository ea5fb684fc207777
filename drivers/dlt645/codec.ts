import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { DLT645_STANDARD_FORMATS, type Dlt645StandardFormat } from "../../src/profiles/dlt645-table.js";
import { addressToWire, bcdToInt, intToBcd, wireToAddress } from "../common/bcd.js";
import {
  allocFrame,
  checkFrameEnd,
  checkFrameStart,
  closeFrame,
  END,
  frameEnd,
  frameError,
  START,
  skipWake,
  WAKE,
} from "../common/frame.js";
import { hex2, toHex } from "../common/hex.js";

/**
 * DL/T 645-2007 (多功能电能表通信协议) frames, pure: bytes in, typed values or a HearthError with a
 * Frame* code out.
 *
 *   [FE ...] 68 A0 A1 A2 A3 A4 A5 68 C L DATA(L bytes, each +0x33 on the wire) CS 16
 *
 * CS is the sum modulo 256 from the first 68 to the last data byte. The address is 12 BCD digits,
 * lowest byte first on the wire; AA..AA is the wildcard used to discover a lone meter (read address).
 */

const P = "DL/T 645";

/** 68 start, 16 end, FE wake-up: the envelope both meter protocols share (drivers/common/frame.ts). */
export { END, START, WAKE };
/** Bytes of a frame besides its data: 68 + 6 address + 68 + C + L + CS + 16. */
export const OVERHEAD = 12;
/** Clause 7.3 of the standard: read replies carry at most 200 data bytes. */
export const MAX_DATA = 200;
export const WILDCARD_ADDRESS = "AAAAAAAAAAAA";
/** Preamble the standard recommends to wake the meter's receiver. */
export const DEFAULT_PREAMBLE = 4;

export const Control = {
  ReadData: 0x11,
  ReadFollowUp: 0x12,
  ReadAddress: 0x13,
  ReadDataReply: 0x91,
  ReadDataReplyMore: 0xb1,
  ReadDataError: 0xd1,
  ReadFollowUpReply: 0x92,
  ReadFollowUpReplyMore: 0xb2,
  ReadFollowUpError: 0xd2,
  ReadAddressReply: 0x93,
} as const;

/** Bits of the control byte (clause 7.2). */
export const ControlBit = {
  /** D7: 1 = sent by the meter. */
  FromMeter: 0x80,
  /** D6: 1 = abnormal reply. */
  Abnormal: 0x40,
  /** D5: 1 = follow-up frames exist. */
  More: 0x20,
} as const;

/** Bits of the error byte of an abnormal reply (错误信息字, table in clause 7.3). */
export const ERROR_BITS: readonly (readonly [number, string])[] = [
  [0x01, "other error"],
  [0x02, "no requested data"],
  [0x04, "password error or unauthorised"],
  [0x08, "baud rate cannot be changed"],
  [0x10, "year time zones exceeded"],
  [0x20, "daily time slots exceeded"],
  [0x40, "tariffs exceeded"],
  [0x80, "reserved"],
];

export function errorNames(err: number): string[] {
  const names = ERROR_BITS.filter(([bit]) => (err & bit) !== 0).map(([, name]) => name);
  return names.length > 0 ? names : ["unspecified error"];
}

export interface Dlt645Frame {
  /** 12 characters, most significant first, as printed on the meter ('A' nibbles for wildcards). */
  address: string;
  control: number;
  /** The data field with the 0x33 offset already removed. */
  data: Buffer;
}

export interface EncodeOptions {
  /** FE wake-up bytes before the frame (0–4). Default 4. */
  preamble?: number;
}

/** Builds a frame; throws HearthError (FrameMalformed) for an address or data the wire cannot carry. */
export function encodeFrame(frame: Dlt645Frame, options: EncodeOptions = {}): Buffer {
  const preamble = options.preamble ?? DEFAULT_PREAMBLE;
  const out = allocFrame(P, preamble, OVERHEAD, frame.data.length);
  let o = preamble;
  out[o++] = START;
  addressToWire(frame.address, 6, P).copy(out, o);
  o += 6;
  out[o++] = START;
  out[o++] = frame.control & 0xff;
  out[o++] = frame.data.length;
  for (const b of frame.data) out[o++] = (b + 0x33) & 0xff;
  closeFrame(out, preamble, o);
  return out;
}

/**
 * Length of the frame at the start of `rx` (FE preamble included), for SerialLine: 0 when more bytes
 * are needed, -1 when rx[0] cannot begin a frame (the line drops it and resyncs). The checksum is left
 * to `decodeFrame`, so a corrupted reply is still delivered whole and counted as such.
 */
export function frameLength(rx: Uint8Array): number {
  const i = skipWake(rx);
  if (i === rx.length) return 0;
  if (rx[i] !== START) return -1;
  if (rx.length < i + 10) return rx.length > i + 7 && rx[i + 7] !== START ? -1 : 0;
  if (rx[i + 7] !== START) return -1;
  // No meter sends more than the standard's 200 data bytes: a larger length is noise, resync at once.
  return frameEnd(rx, i, rx[i + 9] as number, OVERHEAD, MAX_DATA);
}

/** Decodes exactly one frame (optionally preceded by FE bytes). Throws HearthError naming the byte offset. */
export function decodeFrame(buf: Uint8Array): Dlt645Frame {
  const i = skipWake(buf);
  checkFrameStart(P, buf, i, OVERHEAD);
  if (buf[i + 7] !== START)
    throw frameError(
      P,
      ErrorCode.FrameMalformed,
      `expected second 68 at offset ${i + 7}, found ${hex2(buf[i + 7] as number)}`,
      i + 7,
    );
  const control = buf[i + 8] as number;
  const len = checkFrameEnd(P, buf, i, 9, OVERHEAD);
  const data = Buffer.alloc(len);
  for (let k = 0; k < len; k++) data[k] = ((buf[i + 10 + k] as number) - 0x33) & 0xff;
  return { address: wireToAddress(buf.subarray(i + 1, i + 7)), control, data };
}

// ---- data identifiers ------------------------------------------------------------------------------

/** DI as written in the standard ("02010100" = DI3 DI2 DI1 DI0) → the four bytes sent, DI0 first. */
export function diToBytes(di: string): Buffer {
  if (!/^[0-9A-Fa-f]{8}$/.test(di))
    throw new HearthError(
      `DL/T 645 data identifier must be 8 hex digits, got ${JSON.stringify(di)}`,
      ErrorCode.FrameMalformed,
      { protocol: P, what: "identifier", di },
    );
  return Buffer.from(di, "hex").reverse();
}

export function bytesToDi(bytes: Uint8Array): string {
  return toHex(Buffer.from(bytes.subarray(0, 4)).reverse());
}

export interface ValueFormat {
  /** Data bytes of the value. */
  length: number;
  /** BCD digits after the decimal point. */
  decimals: number;
  /** Highest bit of the top byte is the sign (1 = negative), per the standard's notes. */
  signed: boolean;
}

export type KnownIdentifier = Dlt645StandardFormat;

/** The standard's formats for the identifiers a household profile needs (shared with the profile schema). */
export const KNOWN_IDENTIFIERS: Readonly<Record<string, KnownIdentifier>> = DLT645_STANDARD_FORMATS;

/** Decodes a BCD value (data bytes after the DI, 0x33 already removed). `offset` locates it in the data field for errors. */
export function decodeValue(bytes: Uint8Array, format: ValueFormat, offset = 0): number {
  if (bytes.length === 0)
    throw new HearthError(`${P}: reply carries no value after its identifier`, ErrorCode.FrameTruncated, {
      protocol: P,
      offset,
    });
  if (bytes.length !== format.length)
    throw new HearthError(
      `${P}: value of ${bytes.length} bytes, expected ${format.length}`,
      ErrorCode.FrameMalformed,
      {
        protocol: P,
        offset,
        length: bytes.length,
      },
    );
  const copy = Buffer.from(bytes);
  let negative = false;
  if (format.signed) {
    const top = copy.length - 1;
    negative = ((copy[top] as number) & 0x80) !== 0;
    copy[top] = (copy[top] as number) & 0x7f;
  }
  const raw = bcdToInt(copy, offset, "value", P);
  const v = raw / 10 ** format.decimals;
  return negative ? -v : v;
}

/** Encodes `value` in `format`, rounding to its decimals. Throws ValueOutOfRange when it does not fit. */
export function encodeValue(value: number, format: ValueFormat): Buffer {
  const outOfRange = (message: string) =>
    new HearthError(message, ErrorCode.ValueOutOfRange, { protocol: P, value, ...format });
  const raw = Math.round(Math.abs(value) * 10 ** format.decimals);
  if (!Number.isFinite(raw)) throw outOfRange(`DL/T 645 cannot encode ${value}`);
  const max = format.signed ? (8 * 100 ** format.length) / 10 : 100 ** format.length;
  if (raw >= max)
    throw outOfRange(`${value} does not fit ${format.length} byte(s) with ${format.decimals} decimals`);
  if (value < 0 && !format.signed && raw !== 0)
    throw outOfRange(`${value} is negative but the format is unsigned`);
  const out = intToBcd(raw, format.length);
  if (value < 0 && raw !== 0) out[format.length - 1] = (out[format.length - 1] as number) | 0x80;
  return out;
}

// ---- requests and replies --------------------------------------------------------------------------

export function readDataRequest(address: string, di: string, options?: EncodeOptions): Buffer {
  return encodeFrame({ address, control: Control.ReadData, data: diToBytes(di) }, options);
}

export function readFollowUpRequest(
  address: string,
  di: string,
  seq: number,
  options?: EncodeOptions,
): Buffer {
  return encodeFrame(
    {
      address,
      control: Control.ReadFollowUp,
      data: Buffer.concat([diToBytes(di), Buffer.from([seq & 0xff])]),
    },
    options,
  );
}

export function readAddressRequest(options?: EncodeOptions): Buffer {
  return encodeFrame(
    { address: WILDCARD_ADDRESS, control: Control.ReadAddress, data: Buffer.alloc(0) },
    options,
  );
}

export type ReadReply =
  | { kind: "data"; address: string; di: string; value: Buffer; more: boolean }
  | { kind: "error"; address: string; error: number; errors: string[] };

/**
 * Interprets a decoded frame as the reply to "read data" (or "read follow-up"): normal, with follow-up,
 * or abnormal. Anything else (a request echoed, another function) is FrameUnexpected.
 */
export function parseReadReply(frame: Dlt645Frame): ReadReply {
  const c = frame.control;
  if (c === Control.ReadDataError || c === Control.ReadFollowUpError) return abnormalReply(frame, errorNames);
  const normal = c === Control.ReadDataReply || c === Control.ReadDataReplyMore;
  const followUp = c === Control.ReadFollowUpReply || c === Control.ReadFollowUpReplyMore;
  if (!normal && !followUp) throw notAReadReply(c);
  needIdentifier(frame, 4);
  // A follow-up reply ends with its sequence number, which is not part of the value.
  const end = followUp ? frame.data.length - 1 : frame.data.length;
  return {
    kind: "data",
    address: frame.address,
    di: bytesToDi(frame.data),
    value: Buffer.from(frame.data.subarray(4, Math.max(4, end))),
    more: (c & ControlBit.More) !== 0,
  };
}

/** An abnormal reply to a read (either edition): its error byte, named by the edition's `names`. */
export function abnormalReply(
  frame: Dlt645Frame,
  names: (error: number) => string[],
  protocol = P,
): ReadReply {
  if (frame.data.length < 1)
    throw new HearthError(`${protocol}: abnormal reply without its error byte`, ErrorCode.FrameTruncated, {
      protocol,
      offset: 10,
    });
  const error = frame.data[0] as number;
  return { kind: "error", address: frame.address, error, errors: names(error) };
}

export function notAReadReply(control: number, protocol = P): HearthError {
  return new HearthError(
    `${protocol}: control code ${hex2(control)} is not a reply to read data`,
    ErrorCode.FrameUnexpected,
    { protocol, offset: 8, control },
  );
}

/** A read reply's data must hold its identifier (4 bytes in 2007, 2 in 1997). */
export function needIdentifier(frame: Dlt645Frame, diBytes: number, protocol = P): void {
  if (frame.data.length < diBytes)
    throw new HearthError(
      `${protocol}: read reply of ${frame.data.length} data bytes lacks its identifier`,
      ErrorCode.FrameTruncated,
      { protocol, offset: 10 + frame.data.length },
    );
}

/** The address carried by a read-address reply (0x93). */
export function parseAddressReply(frame: Dlt645Frame): string {
  if (frame.control !== Control.ReadAddressReply)
    throw new HearthError(
      `${P}: control code ${hex2(frame.control)} is not a read-address reply`,
      ErrorCode.FrameUnexpected,
      {
        protocol: P,
        offset: 8,
        control: frame.control,
      },
    );
  if (frame.data.length !== 6)
    throw new HearthError(
      `${P}: read-address reply carries ${frame.data.length} bytes, expected 6`,
      ErrorCode.FrameMalformed,
      {
        protocol: P,
        offset: 9,
      },
    );
  const address = wireToAddress(frame.data);
  bcdToInt(frame.data, 10, "address", P);
  return address;
}

/** Builds the meter's side, for simulators and tests. */
export function readReply(
  address: string,
  di: string,
  value: Uint8Array,
  more = false,
  options?: EncodeOptions,
): Buffer {
  return encodeFrame(
    {
      address,
      control: more ? Control.ReadDataReplyMore : Control.ReadDataReply,
      data: Buffer.concat([diToBytes(di), Buffer.from(value)]),
    },
    options,
  );
}

export function errorReply(address: string, error: number, options?: EncodeOptions): Buffer {
  return encodeFrame({ address, control: Control.ReadDataError, data: Buffer.from([error & 0xff]) }, options);
}

export function addressReply(address: string, options?: EncodeOptions): Buffer {
  return encodeFrame(
    { address, control: Control.ReadAddressReply, data: addressToWire(address, 6, P) },
    options,
  );
}
