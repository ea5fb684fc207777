// Only the one algorithm: the package root loads all 29 of them.
import crc16modbus from "crc/crc16modbus";
import { ErrorCode } from "../../src/core/errors.js";
import { decodeResponsePdu, encodeRequestPdu, frameError as err, outOfRange, registersOf } from "./pdu.js";
import type { ReadFunction } from "./tables.js";

/**
 * Modbus RTU framing (unit, PDU, CRC-16/MODBUS) and how long a frame at the head of a buffer is, for
 * `SerialLine` transactions. From "MODBUS over Serial Line Specification and Implementation Guide
 * V1.02" (modbus.org, 2006).
 */

export function crc16(data: Buffer): number {
  return crc16modbus(data);
}

/** RTU ADU: unit, PDU, CRC-16/MODBUS low byte first. */
export function encodeRtu(unit: number, pdu: Buffer): Buffer {
  if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw outOfRange(`unit must be 0..255, got ${unit}`);
  const b = Buffer.alloc(pdu.length + 3);
  b[0] = unit;
  pdu.copy(b, 1);
  b.writeUInt16LE(crc16(b.subarray(0, pdu.length + 1)), pdu.length + 1);
  return b;
}

/** Splits an RTU ADU after checking its CRC. */
export function decodeRtu(frame: Buffer): { unit: number; pdu: Buffer } {
  if (frame.length < 4)
    throw err(
      ErrorCode.FrameTruncated,
      `RTU frame of ${frame.length} bytes is shorter than 4`,
      frame.length,
      frame,
    );
  const body = frame.subarray(0, frame.length - 2);
  const want = crc16(body);
  const got = frame.readUInt16LE(frame.length - 2);
  if (want !== got)
    throw err(
      ErrorCode.FrameChecksum,
      `CRC is ${hex4(got)}, expected ${hex4(want)}`,
      frame.length - 2,
      frame,
      { crc: got, expected: want },
    );
  return { unit: frame[0] as number, pdu: frame.subarray(1, frame.length - 2) };
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, "0")}`;
}

/** Whether the last two bytes of `frame` are the CRC of the rest (a frame too short to carry one is not). */
export function rtuCrcOk(frame: Uint8Array): boolean {
  if (frame.length < 3) return false;
  const body = Buffer.from(frame.subarray(0, frame.length - 2));
  const crc = crc16(body);
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >> 8;
}

/**
 * Length of the RTU request frame at the start of `rx` (a server reading a request): 0 = need more,
 * -1 = cannot be a request we know (the function code is unknown).
 */
export function rtuRequestLength(rx: Buffer): number {
  if (rx.length < 2) return 0;
  const fc = rx[1] as number;
  if (fc === 3 || fc === 4 || fc === 6) return 8;
  if (fc === 16) return rx.length < 7 ? 0 : 9 + (rx[6] as number);
  return -1;
}

/** Length of the RTU response frame at the start of `rx` (a client reading a reply); see `rtuRequestLength`. */
export function rtuResponseLength(rx: Buffer): number {
  if (rx.length < 2) return 0;
  const fc = rx[1] as number;
  if (fc & 0x80) return 5;
  if (fc === 3 || fc === 4) return rx.length < 3 ? 0 : 5 + (rx[2] as number);
  if (fc === 6 || fc === 16) return 8;
  return -1;
}

/**
 * The `complete` check for one transaction: a reply must start with our unit and our function code (or
 * its exception); anything else at the head of the buffer is noise from the bus and is skipped.
 */
export function rtuReplyComplete(unit: number, fc: number): (rx: Buffer) => number {
  return (rx) => {
    if (rx.length < 1) return 0;
    if (rx[0] !== unit) return -1;
    if (rx.length < 2) return 0;
    const f = rx[1] as number;
    if (f !== fc && f !== (fc | 0x80)) return -1;
    return rtuResponseLength(rx);
  };
}

/** RTU request for `quantity` registers at `address` of table `fc` on `unit`. */
export function encodeReadRequest(unit: number, fc: ReadFunction, address: number, quantity: number): Buffer {
  return encodeRtu(unit, encodeRequestPdu({ fc, address, quantity }));
}

/** Decodes an RTU read reply and checks unit, function and count against the request. */
export function decodeReadResponse(
  frame: Buffer,
  expect: { unit: number; fc: ReadFunction; quantity: number },
): number[] {
  const { unit, pdu } = decodeRtu(frame);
  if (unit !== expect.unit)
    throw err(ErrorCode.FrameUnexpected, `reply is from unit ${unit}, expected ${expect.unit}`, 0, frame);
  return registersOf(decodeResponsePdu(pdu, 1, frame), expect, frame);
}
