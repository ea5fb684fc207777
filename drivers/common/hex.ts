import { ErrorCode, HearthError } from "../../src/core/errors.js";

/**
 * Hex text (spaces, colons, commas, dashes, `0x` and newlines allowed) → bytes, for `hearth decode`;
 * FrameMalformed naming the bad character.
 */
export function parseHex(text: string): Buffer {
  const clean = text.replace(/0x/gi, "").replace(/[\s:,-]/g, "");
  const bad = /[^0-9a-f]/i.exec(clean);
  if (bad)
    throw new HearthError(
      `Not hex: ${JSON.stringify(bad[0])} at character ${bad.index}`,
      ErrorCode.FrameMalformed,
      // A place in the text, not a byte of the frame.
      { character: bad.index },
    );
  if (clean.length % 2 !== 0)
    throw new HearthError(`Odd number of hex digits (${clean.length})`, ErrorCode.FrameMalformed, {
      offset: clean.length,
    });
  return Buffer.from(clean, "hex");
}

/**
 * A byte as two hex digits: upper case as the meter standards write frames; lower case as the BTHome
 * specification writes object ids.
 */
export function hex2(b: number, letters: "upper" | "lower" = "upper"): string {
  const h = b.toString(16).padStart(2, "0");
  return letters === "upper" ? h.toUpperCase() : h;
}

/** Bytes as upper-case hex without separators (addresses, value bytes in decoded fields). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex").toUpperCase();
}
