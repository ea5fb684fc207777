import { ErrorCode } from "../../src/core/errors.js";
import { frameError } from "./pdu.js";
import { DEVICE_ID_OBJECTS, DIAGNOSTIC_NAMES, READ_DEVICE_ID_CODES } from "./tables.js";

/**
 * Decode-only reading of the function codes `hearth decode modbus` explains beyond the ones the driver
 * speaks (pdu.ts): 1, 2, 5, 8, 15, 23 and 43/14, requests and responses, from "MODBUS Application
 * Protocol Specification V1.1b3" §6.1–6.21. Each checks the PDU's lengths and counts as the spec sets
 * them and throws a FrameXxx HearthError naming the byte; a field the spec allows any value in is shown.
 */

export type ExplainedValue = string | number | boolean | number[] | Record<string, string>;
export type Explained = Record<string, ExplainedValue>;

/** The function codes this module explains. */
export const EXPLAINED_FUNCTIONS: ReadonlySet<number> = new Set([1, 2, 5, 8, 15, 23, 43]);

const MAX_READ_BITS = 2000;
const MAX_WRITE_BITS = 1968;
const MAX_RW_READ = 125;
const MAX_RW_WRITE = 121;

class Reader {
  constructor(
    readonly pdu: Buffer,
    readonly base: number,
    readonly frame: Buffer,
    readonly what: string,
  ) {}
  need(n: number): void {
    if (this.pdu.length < n)
      throw frameError(
        ErrorCode.FrameTruncated,
        `${this.what} needs ${n} PDU bytes, got ${this.pdu.length}`,
        this.base + this.pdu.length,
        this.frame,
      );
  }
  exactly(n: number): void {
    this.need(n);
    if (this.pdu.length !== n)
      throw frameError(
        ErrorCode.FrameMalformed,
        `${this.what} has ${this.pdu.length - n} extra bytes`,
        this.base + n,
        this.frame,
      );
  }
  u16(at: number): number {
    return this.pdu.readUInt16BE(at);
  }
  range(at: number, name: string, min: number, max: number): number {
    const v = this.u16(at);
    if (v < min || v > max)
      throw frameError(
        ErrorCode.FrameMalformed,
        `${name} ${v} is outside ${min}..${max}`,
        this.base + at,
        this.frame,
      );
    return v;
  }
  byteCount(at: number, want: number): number {
    const n = this.pdu[at] as number;
    if (n !== want)
      throw frameError(
        ErrorCode.FrameMalformed,
        `byte count ${n}, expected ${want}`,
        this.base + at,
        this.frame,
      );
    return n;
  }
  malformed(message: string, at: number): never {
    throw frameError(ErrorCode.FrameMalformed, message, this.base + at, this.frame);
  }
}

/** Bits of coil/input status bytes, first bit the low bit of the first byte (spec §6.1). */
function bits(b: Buffer, count = 8 * b.length): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(((b[i >> 3] as number) >> (i & 7)) & 1);
  return out;
}

function words(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) out.push(b.readUInt16BE(i));
  return out;
}

function diagnostic(r: Reader, out: Explained): void {
  r.need(3);
  if (r.pdu.length % 2 === 0) r.malformed("diagnostic data is not whole 16-bit words", r.pdu.length - 1);
  const sub = r.u16(1);
  out.sub_function = sub;
  out.sub_function_name = DIAGNOSTIC_NAMES[sub] ?? `sub-function ${sub}`;
  out.data = words(r.pdu.subarray(3));
}

/** A request PDU of one of EXPLAINED_FUNCTIONS. */
export function explainRequest(pdu: Buffer, base: number, frame: Buffer): Explained {
  const fc = pdu[0] as number;
  const r = new Reader(pdu, base, frame, `function ${fc} request`);
  const out: Explained = {};
  switch (fc) {
    case 1:
    case 2:
      r.exactly(5);
      out.address = r.u16(1);
      out.quantity = r.range(3, "quantity", 1, MAX_READ_BITS);
      return out;
    case 5: {
      r.exactly(5);
      out.address = r.u16(1);
      const v = r.u16(3);
      if (v !== 0xff00 && v !== 0)
        r.malformed(`coil value 0x${v.toString(16)} is neither FF00 (on) nor 0000 (off)`, 3);
      out.value = v === 0xff00;
      return out;
    }
    case 8:
      diagnostic(r, out);
      return out;
    case 15: {
      r.need(6);
      out.address = r.u16(1);
      const q = r.range(3, "quantity", 1, MAX_WRITE_BITS);
      out.quantity = q;
      out.byte_count = r.byteCount(5, Math.ceil(q / 8));
      r.exactly(6 + (out.byte_count as number));
      out.coils = bits(pdu.subarray(6), q);
      return out;
    }
    case 23: {
      r.need(10);
      out.read_address = r.u16(1);
      out.read_quantity = r.range(3, "read quantity", 1, MAX_RW_READ);
      out.write_address = r.u16(5);
      const wq = r.range(7, "write quantity", 1, MAX_RW_WRITE);
      out.write_quantity = wq;
      out.byte_count = r.byteCount(9, 2 * wq);
      r.exactly(10 + 2 * wq);
      out.values = words(pdu.subarray(10));
      return out;
    }
    default: {
      // 43: the MEI transport; 14 is Read Device Identification (spec §6.21).
      r.need(2);
      out.mei_type = pdu[1] as number;
      if (pdu[1] !== 14) r.malformed(`MEI type ${pdu[1]} is not 14 (Read Device Identification)`, 1);
      r.exactly(4);
      out.read_device_id_code = pdu[2] as number;
      out.read_device_id_name = READ_DEVICE_ID_CODES[pdu[2] as number] ?? "unknown";
      out.object_id = pdu[3] as number;
      return out;
    }
  }
}

/** A (non-exception) response PDU of one of EXPLAINED_FUNCTIONS. */
export function explainResponse(pdu: Buffer, base: number, frame: Buffer): Explained {
  const fc = pdu[0] as number;
  const r = new Reader(pdu, base, frame, `function ${fc} response`);
  const out: Explained = {};
  switch (fc) {
    case 1:
    case 2:
    case 23: {
      r.need(2);
      const n = pdu[1] as number;
      if (fc === 23 && n % 2 !== 0) r.malformed(`byte count ${n} is odd`, 1);
      r.exactly(2 + n);
      out.byte_count = n;
      if (fc === 23) out.registers = words(pdu.subarray(2));
      // The response does not say how many were asked; the last byte's high bits are padding.
      else out[fc === 1 ? "coils" : "inputs"] = bits(pdu.subarray(2));
      return out;
    }
    case 5:
    case 8:
      return explainRequest(pdu, base, frame);
    case 15:
      r.exactly(5);
      out.address = r.u16(1);
      out.quantity = r.range(3, "quantity", 1, MAX_WRITE_BITS);
      return out;
    default:
      return deviceIdentification(r);
  }
}

/** 2B 0E code conformity more-follows next-object count, then objects id len value (spec §6.21). */
function deviceIdentification(r: Reader): Explained {
  const { pdu } = r;
  r.need(7);
  if (pdu[1] !== 14) r.malformed(`MEI type ${pdu[1]} is not 14 (Read Device Identification)`, 1);
  const out: Explained = {
    mei_type: 14,
    read_device_id_code: pdu[2] as number,
    conformity_level: `0x${(pdu[3] as number).toString(16).padStart(2, "0")}`,
    more_follows: pdu[4] === 0xff,
    next_object_id: pdu[5] as number,
    number_of_objects: pdu[6] as number,
  };
  const objects: Record<string, string> = {};
  let at = 7;
  for (let i = 0; i < (pdu[6] as number); i++) {
    if (at + 2 > pdu.length)
      throw frameError(
        ErrorCode.FrameTruncated,
        `object ${i + 1} has no id and length`,
        r.base + pdu.length,
        r.frame,
      );
    const id = pdu[at] as number;
    const len = pdu[at + 1] as number;
    if (at + 2 + len > pdu.length)
      throw frameError(
        ErrorCode.FrameTruncated,
        `object ${id} says ${len} bytes, ${pdu.length - at - 2} present`,
        r.base + pdu.length,
        r.frame,
      );
    objects[DEVICE_ID_OBJECTS[id] ?? `object_${id}`] = pdu.subarray(at + 2, at + 2 + len).toString("latin1");
    at += 2 + len;
  }
  if (at !== pdu.length) r.malformed(`${pdu.length - at} bytes after the last object`, at);
  out.objects = objects;
  return out;
}
