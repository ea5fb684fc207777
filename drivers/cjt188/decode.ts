import { skipWake } from "../common/frame.js";
import { hex2, parseHex, toHex } from "../common/hex.js";
import { Control, DI, decodeFrame, MeterType, parseAddressReply, parseReadReply } from "./codec.js";
import { toCubicMetres, UNITS, VOLUME_UNIT_M3 } from "./units.js";

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

/** One CJ/T 188-2004 frame explained, for `hearth decode cjt188`. Invalid frames throw HearthError. */
export function decodeCjt188Frame(hex: string): DecodedCjt188Frame {
  const bytes = parseHex(hex);
  const preamble = skipWake(bytes);
  // Decoded without its wake-up bytes, so every offset in an error counts from the 68 start byte.
  const f = decodeFrame(bytes.subarray(preamble));
  const fromMeter = (f.control & 0x80) !== 0;
  const fields: Record<string, FieldValue> = {
    preamble,
    meter_type: `0x${hex2(f.meterType)}`,
    meter_type_name: TYPE_NAMES[f.meterType] ?? "other",
    address: f.address,
    control: `0x${hex2(f.control)}`,
    function: FUNCTIONS[f.control & 0x3f] ?? `function 0x${hex2(f.control & 0x3f)}`,
    direction: fromMeter ? "meter → master" : "master → meter",
    length: f.data.length,
  };
  if (fromMeter) fields.abnormal = (f.control & 0x40) !== 0;
  if (f.data.length > 0) fields.data = toHex(f.data);
  const values: DecodedCjt188Frame["values"] = [];
  if (!fromMeter && f.data.length >= 3) {
    fields.di = toHex(f.data.subarray(0, 2));
    fields.ser = f.data[2] as number;
  } else if (f.control === Control.ReadAddressReply) {
    const a = parseAddressReply(f);
    fields.di = DI.ReadAddress.toString(16).toUpperCase();
    fields.di_order = a.diOrder;
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
      fields.di = "901F";
      fields.di_order = d.diOrder;
      fields.ser = d.ser;
      fields.current_flow = d.current;
      fields.current_unit = UNITS[d.currentUnit] ?? `0x${hex2(d.currentUnit)}`;
      fields.settlement_flow = d.settlement;
      fields.settlement_unit = UNITS[d.settlementUnit] ?? `0x${hex2(d.settlementUnit)}`;
      if (d.time) fields.time = d.time;
      fields.status = `0x${d.status.raw.toString(16).padStart(4, "0")}`;
      fields.valve = d.status.valve;
      fields.battery_low = d.status.batteryLow;
      // Heat and gas meters use other units; only volumes become m³ values.
      if (VOLUME_UNIT_M3[d.currentUnit] !== undefined)
        values.push({ name: "current_flow", value: toCubicMetres(d.current, d.currentUnit), unit: "m3" });
      if (VOLUME_UNIT_M3[d.settlementUnit] !== undefined)
        values.push({
          name: "settlement_flow",
          value: toCubicMetres(d.settlement, d.settlementUnit),
          unit: "m3",
        });
    }
  }
  return { protocol: "cjt188", kind: fromMeter ? "response" : "request", fields, values };
}
