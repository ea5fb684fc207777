import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { sum8 } from "./bcd.js";
import { hex2 } from "./hex.js";

/**
 * The frame envelope DL/T 645 and CJ/T 188 share:
 *
 *   [FE ...] 68 <header> L DATA(L bytes) CS 16
 *
 * FE wake-up bytes, a 68 start byte, a header whose length differs by protocol, the data length L,
 * the data, CS (the sum modulo 256 from 68 to the last data byte) and a 16 end byte. `overhead` is
 * every byte of a frame besides its data; `lengthAt` where L sits, counted from the 68.
 */

export const START = 0x68;
export const END = 0x16;
export const WAKE = 0xfe;

/**
 * A codec error at `offset` (counted from the 68 start byte). `detail` names that offset unless
 * `offsetInMessage` is false; `hearth decode` adds it to a message that does not.
 */
export function frameError(
  protocol: string,
  code: ErrorCode,
  detail: string,
  offset: number,
  offsetInMessage = true,
): HearthError {
  return new HearthError(`${protocol}: ${detail}`, code, {
    protocol,
    offset,
    ...(offsetInMessage ? { offsetInMessage } : {}),
  });
}

/** Index of the first byte after the FE wake-up bytes at the start of `buf`. */
export function skipWake(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length && buf[i] === WAKE) i++;
  return i;
}

/**
 * A frame buffer for `dataLength` data bytes after `preamble` FE bytes (the FE bytes already in place),
 * once both are checked: ValueOutOfRange for a preamble outside 0..4, FrameMalformed for more than 255 bytes.
 */
export function allocFrame(protocol: string, preamble: number, overhead: number, dataLength: number): Buffer {
  if (!Number.isInteger(preamble) || preamble < 0 || preamble > 4)
    throw new HearthError(
      `${protocol} preamble must be 0..4 FE bytes, got ${preamble}`,
      ErrorCode.ValueOutOfRange,
      { protocol, preamble },
    );
  if (dataLength > 255)
    throw new HearthError(
      `${protocol}: data field of ${dataLength} bytes exceeds 255`,
      ErrorCode.FrameMalformed,
      {
        protocol,
        length: dataLength,
      },
    );
  return Buffer.alloc(preamble + overhead + dataLength, WAKE);
}

/** Writes CS (over `out[from..at)`) at `at` and the 16 end byte after it. */
export function closeFrame(out: Buffer, from: number, at: number): void {
  out[at] = sum8(out, from, at);
  out[at + 1] = END;
}

/**
 * For a frame length function, once the header up to L is in: the whole frame's length when it is
 * there and ends in 16, 0 when more bytes are needed, -1 when it cannot be a frame (`len` over
 * `maxData` is noise: resync at once).
 */
export function frameEnd(rx: Uint8Array, i: number, len: number, overhead: number, maxData: number): number {
  if (len > maxData) return -1;
  const total = i + overhead + len;
  if (rx.length < total) return 0;
  return rx[total - 1] === END ? total : -1;
}

/** Checks there is room for a frame at `i` and that it starts with 68. Throws FrameTruncated or FrameMalformed. */
export function checkFrameStart(protocol: string, buf: Uint8Array, i: number, overhead: number): void {
  if (buf.length - i < overhead)
    throw frameError(
      protocol,
      ErrorCode.FrameTruncated,
      `frame of ${buf.length - i} bytes is shorter than ${overhead}`,
      buf.length,
      false,
    );
  if (buf[i] !== START)
    throw frameError(
      protocol,
      ErrorCode.FrameMalformed,
      `expected 68 at offset ${i}, found ${hex2(buf[i] as number)}`,
      i,
    );
}

/**
 * Checks the rest of the frame at `i` against its length byte (at `i + lengthAt`): exactly as long as
 * it says, checksum right, 16 at the end. Returns L. Throws FrameTruncated, FrameMalformed or FrameChecksum.
 */
export function checkFrameEnd(
  protocol: string,
  buf: Uint8Array,
  i: number,
  lengthAt: number,
  overhead: number,
): number {
  const len = buf[i + lengthAt] as number;
  const total = i + overhead + len;
  if (buf.length < total)
    throw frameError(
      protocol,
      ErrorCode.FrameTruncated,
      `length byte at offset ${i + lengthAt} says ${len} data bytes, frame ends early at ${buf.length}`,
      buf.length,
    );
  if (buf.length > total)
    throw frameError(
      protocol,
      ErrorCode.FrameMalformed,
      `${buf.length - total} unexpected byte(s) after the end at offset ${total}`,
      total,
    );
  const csAt = total - 2;
  const want = sum8(buf, i, csAt);
  if (buf[csAt] !== want)
    throw frameError(
      protocol,
      ErrorCode.FrameChecksum,
      `checksum at offset ${csAt} is ${hex2(buf[csAt] as number)}, computed ${hex2(want)}`,
      csAt,
    );
  if (buf[total - 1] !== END)
    throw frameError(
      protocol,
      ErrorCode.FrameMalformed,
      `expected 16 at offset ${total - 1}, found ${hex2(buf[total - 1] as number)}`,
      total - 1,
    );
  return len;
}
