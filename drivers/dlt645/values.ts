import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { Dlt645TableRow } from "../../src/profiles/dlt645-table.js";
import { bcdToInt } from "../common/bcd.js";
import { toHex } from "../common/hex.js";
import { decodeValue } from "./codec.js";

/** What a value of an appendix A row reads as: a number (with a time for demand) or a text. */
export type TableValue =
  | { kind: "number"; value: number; time?: string }
  | { kind: "text"; text: string; bits?: number[] };

const P = "DL/T 645";

/** BCD digit pairs, highest first, each checked (offset names the first byte in the frame). */
function pairs(bytes: Uint8Array, offset: number): string[] {
  const out: string[] = [];
  for (let i = bytes.length - 1; i >= 0; i--) {
    bcdToInt(bytes.subarray(i, i + 1), offset + i, "value", P);
    out.push(toHex(bytes.subarray(i, i + 1)));
  }
  return out;
}

/**
 * Decodes the value bytes of a table row (0x33 removed, low byte first). `offset` locates them in the
 * frame for errors. Throws HearthError (FrameMalformed) for a length or digit the row does not allow.
 */
export function decodeTableValue(row: Dlt645TableRow, bytes: Uint8Array, offset: number): TableValue {
  if (bytes.length !== row.length)
    throw new HearthError(
      `${P}: ${row.di} (${row.name}) carries ${bytes.length} value bytes, expected ${row.length}`,
      bytes.length === 0 ? ErrorCode.FrameTruncated : ErrorCode.FrameMalformed,
      { protocol: P, offset },
    );
  switch (row.format) {
    case "bcd":
      return { kind: "number", value: decodeValue(bytes, row, offset) };
    case "demand": {
      const value = decodeValue(
        bytes.subarray(0, 3),
        { length: 3, decimals: row.decimals, signed: row.signed },
        offset,
      );
      const [yy, mo, dd, hh, mi] = pairs(bytes.subarray(3, 8), offset + 3);
      return { kind: "number", value, time: `20${yy}-${mo}-${dd}T${hh}:${mi}` };
    }
    case "date": {
      const [yy, mo, dd, ww] = pairs(bytes, offset);
      return { kind: "text", text: `20${yy}-${mo}-${dd} (weekday ${Number(ww)})` };
    }
    case "time": {
      const [hh, mi, ss] = pairs(bytes, offset);
      return { kind: "text", text: `${hh}:${mi}:${ss}` };
    }
    case "mdhm": {
      const [mo, dd, hh, mi] = pairs(bytes, offset);
      return { kind: "text", text: `${mo}-${dd} ${hh}:${mi}` };
    }
    case "digits":
      return { kind: "text", text: pairs(bytes, offset).join("") };
    case "bits": {
      // A status word: low byte first like every value; shown in hex and as the bits that are set.
      let word = 0;
      for (let i = bytes.length - 1; i >= 0; i--) word = word * 256 + (bytes[i] as number);
      const bits: number[] = [];
      for (let b = 0; b < bytes.length * 8; b++) if (Math.floor(word / 2 ** b) % 2 === 1) bits.push(b);
      return {
        kind: "text",
        text: `0x${word
          .toString(16)
          .toUpperCase()
          .padStart(bytes.length * 2, "0")}`,
        bits,
      };
    }
  }
}
