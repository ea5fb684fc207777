import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { ModbusRegister } from "../../src/profiles/modbus.js";
import { MODBUS_TYPE_WORDS, type ModbusType } from "../../src/profiles/modbus-types.js";
import { roundDecimals, scaled, shortestFloat32 } from "../common/precision.js";

/** The parts of a profile register that say how its words become a number. */
export type RegisterFormat = Pick<ModbusRegister, "type" | "word_order" | "byte_order" | "scale"> &
  Partial<Pick<ModbusRegister, "decimals">>;

export function registerWords(type: ModbusType): number {
  return MODBUS_TYPE_WORDS[type];
}

/** Words as sent on the wire → big-endian bytes of the value, undoing the device's byte and word order. */
function toBigEndian(f: RegisterFormat, words: readonly number[]): Buffer {
  const n = registerWords(f.type);
  if (words.length !== n)
    throw new HearthError(`${f.type} needs ${n} registers, got ${words.length}`, ErrorCode.ValueOutOfRange, {
      type: f.type,
      registers: words.length,
    });
  const ordered = f.word_order === "little" ? [...words].reverse() : [...words];
  const b = Buffer.alloc(2 * n);
  ordered.forEach((w, i) => {
    if (f.byte_order === "little") b.writeUInt16LE(w & 0xffff, 2 * i);
    else b.writeUInt16BE(w & 0xffff, 2 * i);
  });
  return b;
}

function fromBigEndian(f: RegisterFormat, b: Buffer): number[] {
  const words: number[] = [];
  for (let i = 0; i < b.length; i += 2)
    words.push(f.byte_order === "little" ? b.readUInt16LE(i) : b.readUInt16BE(i));
  return f.word_order === "little" ? words.reverse() : words;
}

/** The raw (unscaled) value of a register's words. */
export function rawValue(f: RegisterFormat, words: readonly number[]): number {
  const b = toBigEndian(f, words);
  switch (f.type) {
    case "u16":
      return b.readUInt16BE(0);
    case "s16":
      return b.readInt16BE(0);
    case "u32":
      return b.readUInt32BE(0);
    case "s32":
      return b.readInt32BE(0);
    case "float32":
      return b.readFloatBE(0);
    case "u64":
      // Energy counters in Wh fit in 2^53 for millennia; beyond that precision is lost, not the value.
      return Number(b.readBigUInt64BE(0));
    case "s64":
      return Number(b.readBigInt64BE(0));
    case "float64":
      return b.readDoubleBE(0);
  }
}

/**
 * value = raw × scale at the precision the register can express: a float32 as the shortest decimal
 * that is the same float32 (229.8, not 229.8000030517578), a decimal scale without binary noise
 * (12345 × 0.01 → 123.45), and rounded to the profile's `decimals` when it sets them.
 */
export function decodeValue(f: RegisterFormat, words: readonly number[]): number {
  const raw = rawValue(f, words);
  const value = scaled(f.type === "float32" ? shortestFloat32(raw) : raw, f.scale);
  return f.decimals === undefined ? value : roundDecimals(value, f.decimals);
}

/**
 * Words a device would send for `value` (the simulator's side). Integer types round and clamp to
 * their range, as a meter's firmware saturates rather than wraps.
 */
export function encodeValue(f: RegisterFormat, value: number): number[] {
  const raw = value / f.scale;
  const b = Buffer.alloc(2 * registerWords(f.type));
  const int = (lo: number, hi: number) =>
    Math.min(hi, Math.max(lo, Math.round(Number.isFinite(raw) ? raw : 0)));
  switch (f.type) {
    case "u16":
      b.writeUInt16BE(int(0, 0xffff), 0);
      break;
    case "s16":
      b.writeInt16BE(int(-0x8000, 0x7fff), 0);
      break;
    case "u32":
      b.writeUInt32BE(int(0, 0xffffffff), 0);
      break;
    case "s32":
      b.writeInt32BE(int(-0x80000000, 0x7fffffff), 0);
      break;
    case "float32":
      b.writeFloatBE(raw, 0);
      break;
    case "u64":
      b.writeBigUInt64BE(BigInt(int(0, Number.MAX_SAFE_INTEGER)), 0);
      break;
    case "s64":
      b.writeBigInt64BE(BigInt(int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)), 0);
      break;
    case "float64":
      b.writeDoubleBE(raw, 0);
      break;
  }
  return fromBigEndian(f, b);
}
