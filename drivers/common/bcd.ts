import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { hex2, toHex } from "./hex.js";

/**
 * Packed BCD, least significant byte first: the layout DL/T 645 and CJ/T 188 both use for values,
 * addresses and times. Shared here so the two codecs cannot drift apart.
 */

/** Decodes `bytes` (low byte first) as an unsigned BCD integer. `offset` is where bytes[0] sits in the frame, for the error. */
export function bcdToInt(bytes: Uint8Array, offset: number, what: string, protocol: string): number {
  let value = 0;
  for (let i = bytes.length - 1; i >= 0; i--) {
    const b = bytes[i] as number;
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) {
      throw new HearthError(
        `${protocol}: ${what} byte 0x${hex2(b)} at offset ${offset + i} is not BCD`,
        ErrorCode.FrameMalformed,
        { protocol, what, offset: offset + i, offsetInMessage: true, byte: b },
      );
    }
    value = value * 100 + hi * 10 + lo;
  }
  return value;
}

/** Encodes a non-negative integer as `length` BCD bytes, low byte first. Throws ValueOutOfRange when it does not fit. */
export function intToBcd(value: number, length: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value >= 100 ** length) {
    throw new HearthError(`${value} does not fit in ${length} BCD byte(s)`, ErrorCode.ValueOutOfRange, {
      value,
      length,
    });
  }
  const out = Buffer.alloc(length);
  let v = value;
  for (let i = 0; i < length; i++) {
    const pair = v % 100;
    out[i] = ((Math.floor(pair / 10) << 4) | (pair % 10)) & 0xff;
    v = Math.floor(v / 100);
  }
  return out;
}

/** Sum of `bytes[from..to)` modulo 256: the checksum of both protocols. */
export function sum8(bytes: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s = (s + (bytes[i] as number)) & 0xff;
  return s;
}

/**
 * A meter address as printed on its nameplate (most significant digits first) ↔ the wire, where the
 * lowest byte goes first. Digits or 'A' (the wildcard nibble of broadcast and abbreviated addressing).
 */
export function addressToWire(address: string, bytes: number, protocol: string): Buffer {
  if (!new RegExp(`^[0-9Aa]{${bytes * 2}}$`).test(address)) {
    throw new HearthError(
      `${protocol}: address ${JSON.stringify(address)} must be ${bytes * 2} digits (or A for wildcard)`,
      ErrorCode.FrameMalformed,
      { protocol, what: "address", address },
    );
  }
  const out = Buffer.from(address, "hex");
  return out.reverse();
}

export function wireToAddress(bytes: Uint8Array): string {
  return toHex(Buffer.from(bytes).reverse());
}
