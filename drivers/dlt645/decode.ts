import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { Dlt645Profile } from "../../src/profiles/dlt645.js";
import { type Dlt645Edition, type Dlt645TableRow, dlt645Table } from "../../src/profiles/dlt645-table.js";
import { skipWake } from "../common/frame.js";
import { hex2, parseHex, toHex } from "../common/hex.js";
import { scaled } from "../common/precision.js";
import {
  bytesToDi,
  Control,
  ControlBit,
  type Dlt645Frame,
  decodeFrame,
  decodeValue,
  parseAddressReply,
  parseReadReply,
  type ReadReply,
} from "./codec.js";
import { bytesToDi1997, FUNCTIONS_1997, parseReadReply1997 } from "./codec1997.js";
import { decodeTableValue } from "./values.js";

export type FieldValue = string | number | boolean | string[] | number[];

export interface DecodedDlt645Frame {
  protocol: "dlt645";
  kind: "request" | "response";
  fields: Record<string, FieldValue>;
  values: { name: string; value: number; unit: string }[];
}

const FUNCTIONS_2007: Readonly<Record<number, string>> = {
  3: "security authentication",
  8: "broadcast time",
  17: "read data",
  18: "read follow-up data",
  19: "read address",
  20: "write data",
  21: "write address",
  22: "freeze",
  23: "change baud rate",
  24: "change password",
  25: "clear maximum demand",
  26: "clear meter",
  27: "clear events",
  28: "relay control",
};

/**
 * Which edition a frame is, by its function code: 2007's read/write functions are 11H–1CH, 1997's
 * 01H–10H (python-dlt645, constants.py FUNCTION_CODES, lists both sets). 08H (broadcast time) is both
 * editions'. 03H is 1997's "re-read" and 2007's security authentication: it is taken as 2007, so a 1997
 * re-read shows as 2007 with no identifier.
 */
export function editionOf(control: number): Dlt645Edition | "either" {
  const fn = control & 0x1f;
  if (fn === 0x08) return "either";
  return fn >= 0x11 || fn === 0x03 ? 2007 : 1997;
}

/**
 * One DL/T 645 frame (2007 or 1997, told apart by its control code) explained, for `hearth decode
 * dlt645`: header fields, the identifier with its name from the edition's appendix A table and, for
 * replies, the value (numbers in `values`, dates, times, numbers-as-text and status words in `fields`).
 * Invalid frames throw HearthError.
 */
export function decodeDlt645Frame(hex: string, opts: { profile?: Dlt645Profile } = {}): DecodedDlt645Frame {
  const bytes = parseHex(hex);
  const preamble = skipWake(bytes);
  // Decoded without its wake-up bytes, so every offset in an error counts from the 68 start byte.
  const f = decodeFrame(bytes.subarray(preamble));
  const fromMeter = (f.control & ControlBit.FromMeter) !== 0;
  const edition = editionOf(f.control);
  const fn = f.control & 0x1f;
  const names = edition === 1997 ? FUNCTIONS_1997 : FUNCTIONS_2007;
  const fields: Record<string, FieldValue> = {
    preamble,
    edition: edition === "either" ? "1997 or 2007" : String(edition),
    address: f.address,
    control: `0x${hex2(f.control)}`,
    function: names[fn] ?? `function 0x${hex2(fn)}`,
    direction: fromMeter ? "meter → master" : "master → meter",
    length: f.data.length,
  };
  if (fromMeter) {
    fields.abnormal = (f.control & ControlBit.Abnormal) !== 0;
    fields.follow_up = (f.control & ControlBit.More) !== 0;
  }
  if (f.data.length > 0) fields.data = toHex(f.data);
  const out: DecodedDlt645Frame = {
    protocol: "dlt645",
    kind: fromMeter ? "response" : "request",
    fields,
    values: [],
  };
  if (edition === 1997) decode1997(f, fromMeter, out, opts.profile);
  else if (edition === 2007) decode2007(f, fromMeter, out, opts.profile);
  return out;
}

function decode2007(
  f: Dlt645Frame,
  fromMeter: boolean,
  out: DecodedDlt645Frame,
  profile?: Dlt645Profile,
): void {
  const { fields } = out;
  const fn = f.control & 0x1f;
  if (!fromMeter && (fn === 0x11 || fn === 0x12) && f.data.length >= 4) {
    fields.di = bytesToDi(f.data);
    nameOf(2007, fields.di, fields);
    // Read follow-up (12H) carries the sequence number of the frame it asks for after the identifier.
    if (fn === 0x12 && f.data.length >= 5) fields.sequence = f.data[4] as number;
  } else if (f.control === Control.ReadAddressReply) {
    fields.meter_address = parseAddressReply(f);
  } else if (fromMeter && (fn === 0x11 || fn === 0x12)) {
    const sequence = fn === 0x12 && f.data.length >= 5 ? (f.data[f.data.length - 1] as number) : undefined;
    putReadReply(2007, parseReadReply(f), fn === 0x12, sequence, out, profile);
  }
}

function decode1997(
  f: Dlt645Frame,
  fromMeter: boolean,
  out: DecodedDlt645Frame,
  profile?: Dlt645Profile,
): void {
  const { fields } = out;
  const fn = f.control & 0x1f;
  if (!fromMeter && (fn === 0x01 || fn === 0x02) && f.data.length >= 2) {
    fields.di = bytesToDi1997(f.data);
    nameOf(1997, fields.di, fields);
  } else if (fromMeter && (fn === 0x01 || fn === 0x02)) {
    putReadReply(1997, parseReadReply1997(f), fn === 0x02, undefined, out, profile);
  }
}

/**
 * A read reply's fields: its error words, or its identifier, follow-up number and value bytes, with
 * the value decoded unless the frame holds only part of it (`partial`: a follow-up frame).
 */
function putReadReply(
  edition: Dlt645Edition,
  r: ReadReply,
  partial: boolean,
  sequence: number | undefined,
  out: DecodedDlt645Frame,
  profile: Dlt645Profile | undefined,
): void {
  const { fields } = out;
  if (r.kind === "error") {
    fields.error = `0x${hex2(r.error)}`;
    fields.errors = r.errors;
    return;
  }
  fields.di = r.di;
  if (sequence !== undefined) fields.sequence = sequence;
  fields.value_bytes = toHex(r.value);
  // A first frame with follow-ups carries only part of the value: show its bytes, decode nothing.
  if (r.more || partial) {
    nameOf(edition, r.di, fields);
    return;
  }
  putValue(edition, r.di, r.value, out, profile);
}

function nameOf(
  edition: Dlt645Edition,
  di: string,
  fields: Record<string, FieldValue>,
): Dlt645TableRow | undefined {
  const row = dlt645Table(edition).byDi.get(di);
  if (row) fields.di_name = row.name;
  return row;
}

/** Value bytes start at offset 14 (2007: 10 + four DI bytes) or 12 (1997: two), counted from the 68. */
function putValue(
  edition: Dlt645Edition,
  di: string,
  value: Buffer,
  out: DecodedDlt645Frame,
  profile?: Dlt645Profile,
): void {
  const offset = edition === 2007 ? 14 : 12;
  const own =
    profile?.dlt645.edition === edition ? profile.dlt645.identifiers.find((i) => i.di === di) : undefined;
  const row = nameOf(edition, di, out.fields);
  if (own) {
    out.values.push({
      name: own.name,
      value: scaled(decodeValue(value, own, offset), own.scale),
      unit: own.unit,
    });
    return;
  }
  if (!row)
    // Without the identifier's format the value bytes mean nothing: say so, with the bytes.
    throw new HearthError(
      `DL/T 645-${edition}: unknown data identifier ${di} at offset 10 (not in the standard's table${profile ? ` or profile ${profile.id}` : ""}); value bytes ${toHex(value) || "none"}`,
      ErrorCode.FrameUnsupported,
      { protocol: "DL/T 645", offset: 10, offsetInMessage: true, di },
    );
  const v = decodeTableValue(row, value, offset);
  if (v.kind === "number") {
    out.values.push({ name: row.name, value: v.value, unit: row.unit });
    if (v.time) out.fields.time = v.time;
  } else {
    out.fields.value = v.text;
    if (v.bits) out.fields.bits_set = v.bits;
  }
}
