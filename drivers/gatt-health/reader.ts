/**
 * A cursor over one characteristic value: each read names its field, so a short value fails with
 * FrameTruncated saying which field was cut and where.
 */
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { type MedValue, readFloat, readSfloat } from "./ieee11073.js";

/** Date Time (GATT Specification Supplement 3.70): local time of the device, no zone. */
export interface GattDateTime {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  /** "YYYY-MM-DDTHH:MM:SS" without a zone, when year, month and day are known (not 0) and in range. */
  local?: string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

export class ValueReader {
  readonly bytes: Uint8Array;
  at = 0;
  readonly #what: string;

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.#what = what;
  }

  #need(n: number, field: string): void {
    if (this.at + n > this.bytes.length)
      throw new HearthError(
        `${this.#what}: ${field} needs ${n} byte${n === 1 ? "" : "s"} at byte ${this.at}, the value has ${this.bytes.length}`,
        ErrorCode.FrameTruncated,
        { offset: this.at, offsetInMessage: true },
      );
  }

  u8(field: string): number {
    this.#need(1, field);
    return this.bytes[this.at++] as number;
  }

  u16(field: string): number {
    this.#need(2, field);
    const v = (this.bytes[this.at] as number) | ((this.bytes[this.at + 1] as number) << 8);
    this.at += 2;
    return v;
  }

  u24(field: string): number {
    this.#need(3, field);
    const b = this.bytes;
    const v = (b[this.at] as number) | ((b[this.at + 1] as number) << 8) | ((b[this.at + 2] as number) << 16);
    this.at += 3;
    return v;
  }

  sfloat(field: string): MedValue {
    this.#need(2, field);
    const v = readSfloat(this.bytes, this.at, field);
    this.at += 2;
    return v;
  }

  float(field: string): MedValue {
    this.#need(4, field);
    const v = readFloat(this.bytes, this.at, field);
    this.at += 4;
    return v;
  }

  dateTime(field: string): GattDateTime {
    this.#need(7, field);
    const year = this.u16(field);
    const month = this.u8(field);
    const day = this.u8(field);
    const hours = this.u8(field);
    const minutes = this.u8(field);
    const seconds = this.u8(field);
    const t: GattDateTime = { year, month, day, hours, minutes, seconds };
    const known = year >= 1582 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
    if (known && hours <= 23 && minutes <= 59 && seconds <= 59)
      t.local = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
    return t;
  }

  /** A note for bytes the flags did not announce (kept, not fatal: devices pad). */
  trailing(notes: string[]): void {
    const extra = this.bytes.length - this.at;
    if (extra > 0)
      notes.push(`${extra} byte${extra === 1 ? "" : "s"} after the fields the flags announce, ignored`);
  }
}

/** Names of the bits set in `value`, from a table of bit → name; unnamed set bits as "bit N". */
export function bitNames(value: number, names: readonly (string | undefined)[], width: number): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < width; bit++) {
    if ((value & (1 << bit)) === 0) continue;
    out.push(names[bit] ?? `reserved_bit_${bit}`);
  }
  return out;
}

export function reservedFlags(flags: number, known: number, notes: string[]): void {
  const rfu = flags & ~known & 0xff;
  if (rfu !== 0) notes.push(`reserved flag bits 0x${rfu.toString(16).padStart(2, "0")} set, ignored`);
}
