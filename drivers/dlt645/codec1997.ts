import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { bcdToInt } from "../common/bcd.js";
import { toHex } from "../common/hex.js";
import {
  abnormalReply,
  type Dlt645Frame,
  type EncodeOptions,
  encodeFrame,
  needIdentifier,
  notAReadReply,
  type ReadReply,
  WILDCARD_ADDRESS,
} from "./codec.js";

/**
 * DL/T 645-1997 (多功能电能表通信规约), the edition many installed household meters still speak. The
 * frame is the 2007 one (68, six address bytes, 68, C, L, data +0x33, CS, 16: `encodeFrame`,
 * `decodeFrame`, `frameLength` of codec.ts serve both); what differs is the control codes (read data
 * 01, reply 81, follow-up A1, abnormal C1), the identifiers (two bytes, DI0 first on the wire) and the
 * error byte. github.com/gams/python-dlt645 (constants.py FUNCTION_CODES) keeps one frame class and two
 * function-code tables for the same reason.
 *
 * No "read address" command exists in 1997: a lone meter is found by reading its meter number (C032)
 * at the AA..AA address, which a 1997 meter accepts for read data only (github.com/hoanghon00/
 * meter-dlt645-1997, APP/HUCK/Protocol/C/Data_Trans.c, Check_Frame_Meter_Addr).
 */

const P = "DL/T 645-1997";

export const Control1997 = {
  ReadData: 0x01,
  ReadFollowUp: 0x02,
  ReadDataReply: 0x81,
  ReadFollowUpReply: 0x82,
  ReadDataReplyMore: 0xa1,
  ReadFollowUpReplyMore: 0xa2,
  ReadDataError: 0xc1,
  ReadFollowUpError: 0xc2,
} as const;

/** Function codes of the control byte (D4..D0) in 1997 (python-dlt645 constants.py, FUNCTION_CODES[1997]). */
export const FUNCTIONS_1997: Readonly<Record<number, string>> = {
  1: "read data",
  2: "read follow-up data",
  3: "re-read data",
  4: "write data",
  8: "broadcast time",
  10: "write address",
  12: "change baud rate",
  15: "change password",
  16: "clear maximum demand",
};

/**
 * Bits of the 1997 error byte, as github.com/bobyuxinyang/dlt645_1997 (dlt645_api_97.c,
 * trans_d97_format_err_word) reads them. Bit 1 differs from 2007, where it means "no requested data".
 */
export const ERROR_BITS_1997: readonly (readonly [number, string])[] = [
  [0x01, "illegal data"],
  [0x02, "wrong data identifier"],
  [0x04, "password error"],
  [0x08, "reserved"],
  [0x10, "year time zones exceeded"],
  [0x20, "daily time slots exceeded"],
  [0x40, "tariffs exceeded"],
  [0x80, "reserved"],
];

export function errorNames1997(err: number): string[] {
  const names = ERROR_BITS_1997.filter(([bit]) => (err & bit) !== 0).map(([, name]) => name);
  return names.length > 0 ? names : ["unspecified error"];
}

/** Identifier of the meter number, read at the wildcard address to find a lone 1997 meter. */
export const METER_NUMBER_DI = "C032";

/** DI as written in the standard ("B611" = DI1 DI0) → the two bytes sent, DI0 first. */
export function di1997ToBytes(di: string): Buffer {
  if (!/^[0-9A-Fa-f]{4}$/.test(di))
    throw new HearthError(
      `${P} data identifier must be 4 hex digits, got ${JSON.stringify(di)}`,
      ErrorCode.FrameMalformed,
      { protocol: P, what: "identifier", di },
    );
  return Buffer.from(di, "hex").reverse();
}

export function bytesToDi1997(bytes: Uint8Array): string {
  return toHex(Buffer.from(bytes.subarray(0, 2)).reverse());
}

export function readDataRequest1997(address: string, di: string, options?: EncodeOptions): Buffer {
  return encodeFrame({ address, control: Control1997.ReadData, data: di1997ToBytes(di) }, options);
}

/** 1997's read follow-up (02H) names the identifier again; there is no frame number as in 2007. */
export function readFollowUpRequest1997(address: string, di: string, options?: EncodeOptions): Buffer {
  return encodeFrame({ address, control: Control1997.ReadFollowUp, data: di1997ToBytes(di) }, options);
}

/** Read the meter number at the wildcard address: the 1997 way of finding a lone meter's address. */
export function readAddressRequest1997(options?: EncodeOptions): Buffer {
  return readDataRequest1997(WILDCARD_ADDRESS, METER_NUMBER_DI, options);
}

export function readReply1997(
  address: string,
  di: string,
  value: Uint8Array,
  more = false,
  options?: EncodeOptions,
): Buffer {
  return encodeFrame(
    {
      address,
      control: more ? Control1997.ReadDataReplyMore : Control1997.ReadDataReply,
      data: Buffer.concat([di1997ToBytes(di), Buffer.from(value)]),
    },
    options,
  );
}

export function errorReply1997(address: string, error: number, options?: EncodeOptions): Buffer {
  return encodeFrame(
    { address, control: Control1997.ReadDataError, data: Buffer.from([error & 0xff]) },
    options,
  );
}

export type ReadReply1997 = ReadReply;

/** A decoded frame as the reply to a 1997 read data or follow-up; anything else is FrameUnexpected. */
export function parseReadReply1997(frame: Dlt645Frame): ReadReply1997 {
  const c = frame.control;
  if (c === Control1997.ReadDataError || c === Control1997.ReadFollowUpError)
    return abnormalReply(frame, errorNames1997, P);
  const ok = [
    Control1997.ReadDataReply,
    Control1997.ReadDataReplyMore,
    Control1997.ReadFollowUpReply,
    Control1997.ReadFollowUpReplyMore,
  ] as number[];
  if (!ok.includes(c)) throw notAReadReply(c, P);
  needIdentifier(frame, 2, P);
  return {
    kind: "data",
    address: frame.address,
    di: bytesToDi1997(frame.data),
    value: Buffer.from(frame.data.subarray(2)),
    more: (c & 0x20) !== 0,
  };
}

/**
 * The address of the meter that answered a wildcard meter-number read: its frame's address field, or,
 * when a meter answers from AA..AA itself (some 1997 meters do, as a gateway's search code published on
 * GitHub notes), the meter number it carries.
 */
export function parseAddressReply1997(frame: Dlt645Frame): string {
  const r = parseReadReply1997(frame);
  if (r.kind === "error")
    throw new HearthError(
      `${P}: meter ${frame.address} refused the meter-number read: ${r.errors.join(", ")}`,
      ErrorCode.DeviceException,
      { protocol: P, error: r.error },
    );
  if (r.di !== METER_NUMBER_DI)
    throw new HearthError(`${P}: reply for ${r.di}, asked ${METER_NUMBER_DI}`, ErrorCode.FrameUnexpected, {
      protocol: P,
      offset: 10,
    });
  if (!/A/i.test(frame.address)) {
    bcdToInt(Buffer.from(frame.address, "hex").reverse(), 1, "address", P);
    return frame.address;
  }
  if (r.value.length !== 6)
    throw new HearthError(
      `${P}: meter number of ${r.value.length} bytes, expected 6`,
      ErrorCode.FrameMalformed,
      {
        protocol: P,
        offset: 12,
      },
    );
  bcdToInt(r.value, 12, "meter number", P);
  return toHex(Buffer.from(r.value).reverse());
}
