/**
 * IEEE 11073-20601 medical floats as the Bluetooth SIG health services carry them (GATT Specification
 * Supplement, "medfloat16"/"medfloat32"): a signed base-10 exponent and a signed mantissa, value =
 * mantissa × 10^exponent.
 *   SFLOAT (16 bits): exponent in the top 4 bits, mantissa in the low 12 (both two's complement).
 *   FLOAT  (32 bits): exponent in the top 8 bits, mantissa in the low 24.
 * Five mantissas with exponent 0 are not numbers but markers: NaN, NRes (not at this resolution),
 * +INFINITY, -INFINITY and one reserved value. A marker is returned as its name, never as a number, so a
 * device's "no reading" can never become a reading of 2047.
 */
import { ErrorCode, HearthError } from "../../src/core/errors.js";

export type MedSpecial = "NaN" | "NRes" | "+INF" | "-INF" | "reserved";
/** A decoded medical float: a finite number, or the marker the device sent instead of one. */
export type MedValue = number | MedSpecial;

const SFLOAT_SPECIAL: ReadonlyMap<number, MedSpecial> = new Map([
  [0x07ff, "NaN"],
  [0x0800, "NRes"],
  [0x07fe, "+INF"],
  [0x0802, "-INF"],
  [0x0801, "reserved"],
]);

const FLOAT_SPECIAL: ReadonlyMap<number, MedSpecial> = new Map([
  [0x007fffff, "NaN"],
  [0x00800000, "NRes"],
  [0x007ffffe, "+INF"],
  [0x00800002, "-INF"],
  [0x00800001, "reserved"],
]);

export function isFiniteMed(v: MedValue | undefined): v is number {
  return typeof v === "number";
}

/**
 * mantissa × 10^exponent without binary noise: 375 × 10^-1 is 37.5, not 37.50000000000001. Division by a
 * power of ten is exact to the nearest double for the mantissas these formats hold.
 */
export function scaled(mantissa: number, exponent: number): number {
  if (mantissa === 0) return 0;
  return exponent >= 0 ? mantissa * 10 ** exponent : mantissa / 10 ** -exponent;
}

function need(b: Uint8Array, at: number, n: number, what: string): void {
  if (at + n > b.length)
    throw new HearthError(
      `${what} needs ${n} bytes at byte ${at}, the value has ${b.length}`,
      ErrorCode.FrameTruncated,
      { offset: at, offsetInMessage: true },
    );
}

export function readSfloat(b: Uint8Array, at: number, what = "SFLOAT"): MedValue {
  need(b, at, 2, what);
  const raw = (b[at] as number) | ((b[at + 1] as number) << 8);
  const special = SFLOAT_SPECIAL.get(raw);
  if (special) return special;
  let mantissa = raw & 0x0fff;
  if (mantissa >= 0x0800) mantissa -= 0x1000;
  let exponent = raw >> 12;
  if (exponent >= 0x8) exponent -= 0x10;
  return scaled(mantissa, exponent);
}

export function readFloat(b: Uint8Array, at: number, what = "FLOAT"): MedValue {
  need(b, at, 4, what);
  const raw = ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16)) >>> 0;
  const exponentByte = b[at + 3] as number;
  if (exponentByte === 0) {
    const special = FLOAT_SPECIAL.get(raw);
    if (special) return special;
  }
  const mantissa = raw >= 0x800000 ? raw - 0x1000000 : raw;
  const exponent = exponentByte >= 0x80 ? exponentByte - 0x100 : exponentByte;
  return scaled(mantissa, exponent);
}

/** The raw 16 bits of an SFLOAT: a marker, or an (exponent, mantissa) pair that fits (for simulators). */
export function sfloatBits(v: MedSpecial | { mantissa: number; exponent: number }): number {
  if (typeof v === "string") {
    for (const [bits, name] of SFLOAT_SPECIAL) if (name === v) return bits;
    throw new HearthError(`unknown SFLOAT marker ${v}`, ErrorCode.ValueOutOfRange);
  }
  const { mantissa, exponent } = v;
  if (!Number.isInteger(mantissa) || mantissa < -2045 || mantissa > 2045)
    throw new HearthError(`SFLOAT mantissa ${mantissa} outside -2045..2045`, ErrorCode.ValueOutOfRange);
  if (!Number.isInteger(exponent) || exponent < -8 || exponent > 7)
    throw new HearthError(`SFLOAT exponent ${exponent} outside -8..7`, ErrorCode.ValueOutOfRange);
  return ((exponent & 0xf) << 12) | (mantissa & 0x0fff);
}

/** The raw 32 bits of a FLOAT (for simulators). */
export function floatBits(v: MedSpecial | { mantissa: number; exponent: number }): number {
  if (typeof v === "string") {
    for (const [bits, name] of FLOAT_SPECIAL) if (name === v) return bits;
    throw new HearthError(`unknown FLOAT marker ${v}`, ErrorCode.ValueOutOfRange);
  }
  const { mantissa, exponent } = v;
  if (!Number.isInteger(mantissa) || mantissa < -8388605 || mantissa > 8388605)
    throw new HearthError(`FLOAT mantissa ${mantissa} outside -8388605..8388605`, ErrorCode.ValueOutOfRange);
  if (!Number.isInteger(exponent) || exponent < -128 || exponent > 127)
    throw new HearthError(`FLOAT exponent ${exponent} outside -128..127`, ErrorCode.ValueOutOfRange);
  return (((exponent & 0xff) << 24) | (mantissa & 0xffffff)) >>> 0;
}

/**
 * The SFLOAT nearest a decimal with at most `decimals` places (a simulator's "120", "37.5"): the mantissa
 * is scaled up as far as its 12 bits allow.
 */
export function toSfloatParts(value: number, decimals: number): { mantissa: number; exponent: number } {
  let exponent = -decimals;
  let mantissa = Math.round(value * 10 ** decimals);
  while (mantissa % 10 === 0 && mantissa !== 0 && exponent < 0) {
    mantissa /= 10;
    exponent++;
  }
  while (Math.abs(mantissa) > 2045 && exponent < 7) {
    mantissa = Math.round(mantissa / 10);
    exponent++;
  }
  return { mantissa, exponent };
}

export function toFloatParts(value: number, decimals: number): { mantissa: number; exponent: number } {
  const mantissa = Math.round(value * 10 ** decimals);
  return { mantissa, exponent: -decimals };
}
