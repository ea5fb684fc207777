import { isHearthError } from "../../src/core/errors.js";
import { START, skipWake, WAKE } from "../common/frame.js";
import { hex2, parseHex, toHex } from "../common/hex.js";
import {
  type Cjt188Frame,
  Control,
  decodeFrame,
  MeterType,
  parseAddressReply,
  parseReadReply,
} from "./codec.js";
import { readDi } from "./identifiers.js";
import { UNITS } from "./units.js";
import { meterValues } from "./values.js";

export type FieldValue = string | number | boolean;

export interface DecodedCjt188Frame {
  protocol: "cjt188";
  kind: "request" | "response";
  fields: Record<string, FieldValue>;
  values: { name: string; value: number; unit: string }[];
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [MeterType.ColdWater]: "cold water meter",
  [MeterType.HotWater]: "hot water meter",
  [MeterType.DrinkingWater]: "drinking water meter",
  [MeterType.ReclaimedWater]: "reclaimed water meter",
  [MeterType.HeatMeterHeat]: "heat meter (heat)",
  [MeterType.HeatMeterCold]: "heat meter (cooling)",
  [MeterType.Gas]: "gas meter",
  [MeterType.Electricity]: "electricity meter",
  170: "any (wildcard)",
};

const FUNCTIONS: Readonly<Record<number, string>> = {
  1: "read data",
  3: "read address",
  4: "write data",
  9: "read key version",
  21: "write address",
  22: "write meter synchronisation data",
};

interface Located {
  /** Index of the 68 start byte in the capture. */
  start: number;
  frame: Cjt188Frame;
  /** Bytes after the 16 end byte. */
  end: number;
}

/**
 * Finds the frame in a capture that may hold other bytes before the 68 (line noise, an echo, a
 * converter's header) or after the 16: the first 68 at which a whole frame with a good checksum
 * parses. When none does, the frame is decoded strictly from the first 68 (or the start) so that the
 * error says what is wrong with it.
 */
function locate(bytes: Buffer): Located {
  const from = skipWake(bytes);
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] !== START || i + 11 > bytes.length) continue;
    const end = i + 13 + (bytes[i + 10] as number);
    if (end > bytes.length) continue;
    try {
      return { start: i, frame: decodeFrame(bytes.subarray(i, end)), end };
    } catch (e) {
      if (!isHearthError(e)) throw e;
    }
  }
  const first = bytes.indexOf(START, from);
  const at = first < 0 ? from : first;
  // Up to where its length byte says it ends, so that trailing bytes do not hide its own fault.
  const said = at + 11 <= bytes.length ? at + 13 + (bytes[at + 10] as number) : bytes.length;
  const end = Math.min(said, bytes.length);
  // Throws the strict decoder's error (offsets from the 68 start byte).
  return { start: at, frame: decodeFrame(bytes.subarray(at, end)), end };
}

/**
 * One CJ/T 188-2004 frame explained, for `hearth decode cjt188`. Bytes before the 68 and after the 16
 * are shown and skipped; the frame itself is checked as strictly as the driver checks it (length,
 * checksum, end byte). Invalid frames throw HearthError.
 */
export function decodeCjt188Frame(hex: string): DecodedCjt188Frame {
  const bytes = parseHex(hex);
  const { start, frame: f, end } = locate(bytes);
  let preamble = 0;
  while (preamble < start && bytes[start - 1 - preamble] === WAKE) preamble++;
  const fromMeter = (f.control & 0x80) !== 0;
  const fields: Record<string, FieldValue> = { preamble };
  if (start - preamble > 0) fields.bytes_before = toHex(bytes.subarray(0, start - preamble));
  if (end < bytes.length) fields.bytes_after = toHex(bytes.subarray(end));
  Object.assign(fields, {
    meter_type: `0x${hex2(f.meterType)}`,
    meter_type_name: TYPE_NAMES[f.meterType] ?? "other",
    address: f.address,
    control: `0x${hex2(f.control)}`,
    function: FUNCTIONS[f.control & 0x3f] ?? `function 0x${hex2(f.control & 0x3f)}`,
    direction: fromMeter ? "meter → master" : "master → meter",
    length: f.data.length,
  });
  if (fromMeter) fields.abnormal = (f.control & 0x40) !== 0;
  if (f.data.length > 0) fields.data = toHex(f.data);
  const values: DecodedCjt188Frame["values"] = [];
  if (!fromMeter && f.data.length >= 2) {
    describeDi(f.data, fields);
    if (f.data.length >= 3) fields.ser = f.data[2] as number;
  } else if (f.control === Control.ReadAddressReply) {
    const a = parseAddressReply(f);
    describeDi(f.data, fields);
    fields.ser = a.ser;
  } else if (f.control === Control.ReadDataReply || f.control === Control.ReadDataError) {
    const r = parseReadReply(f);
    if (r.kind === "error") {
      fields.ser = r.ser;
      fields.status = `0x${r.status.raw.toString(16).padStart(4, "0")}`;
      fields.valve = r.status.valve;
      fields.battery_low = r.status.batteryLow;
    } else {
      const d = r.data;
      describeDi(f.data, fields);
      fields.ser = d.ser;
      const heat = (d.meterType & 0xf0) === 0x20;
      const noun = heat ? "heat" : "flow";
      if (d.current !== undefined) {
        fields[`current_${noun}`] = d.current;
        fields.current_unit = unitName(d.currentUnit);
      }
      if (d.settlement !== undefined) {
        fields[`settlement_${noun}`] = d.settlement;
        fields.settlement_unit = unitName(d.settlementUnit);
      }
      if (d.time) fields.time = d.time;
      if (d.status) {
        fields.status = `0x${d.status.raw.toString(16).padStart(4, "0")}`;
        fields.valve = d.status.valve;
        fields.battery_low = d.status.batteryLow;
      }
      if (d.unsupported.length > 0) fields.not_supported = d.unsupported.join(", ");
      if (d.missing.length > 0) fields.not_sent = d.missing.join(", ");
      values.push(...meterValues(d).filter((v) => v.name !== "valve_closed" && v.name !== "battery_low"));
    }
  }
  return { protocol: "cjt188", kind: fromMeter ? "response" : "request", fields, values };
}

function unitName(code: number | undefined): string {
  if (code === undefined) return "";
  return UNITS[code] ?? `0x${hex2(code)}`;
}

/** `di` as the standard writes it; `di_order`, and the bytes as sent when they were swapped. */
function describeDi(data: Buffer, fields: Record<string, FieldValue>): void {
  const di = readDi(data[0] as number, data[1] as number);
  fields.di = di.di;
  if (di.name) fields.di_name = di.name;
  fields.di_order = di.order;
  if (di.sent) fields.di_as_sent = di.sent;
}
