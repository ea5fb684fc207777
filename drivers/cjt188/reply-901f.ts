import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { bcdToInt } from "../common/bcd.js";

/**
 * The data of a "read data 901F" reply as real meters send it (CJ/T 188-2004 table of the metering
 * data, and the field offsets of xijunzhou/sdqr_energy_node_class Src/meter/cj188.h):
 *
 *   water / gas (T 1x, 3x): DI DI SER | current flow 4+unit | settlement-day flow 4+unit | time 7 | ST 2
 *   heat (T 2x):            DI DI SER | settlement-day heat 4+unit | current heat 4+unit | heat power 4+unit
 *                           | flow rate 4+unit | accumulated flow 4+unit | supply °C 3 | return °C 3
 *                           | working hours 3 | time 7 | ST 2
 *
 * Lenient where real meters are: a field the meter does not support comes as FF… and is left out
 * (never read as 0, which would look like a meter reset); a reply may stop after any whole field
 * ("short" replies with the current flow only). A field cut in half, or a digit that is neither BCD
 * nor an all-FF field, is still refused.
 */

const P = "CJ/T 188";
/** Data offset of the first value (after DI0 DI1 SER); the frame's data starts at byte 11. */
const FIRST = 3;
const DATA_AT = 11;

export interface Measured {
  /** The number as sent, at its BCD decimals. */
  value: number;
  /** The unit code that followed it. */
  unit: number;
}

export interface Status {
  /** Both status bytes, ST0 in the low byte. */
  raw: number;
  /** ST0 D0–D1: 00 open, 01 closed, 11 abnormal. */
  valve: "open" | "closed" | "abnormal" | "unknown";
  /** ST0 D2: battery under-voltage. */
  batteryLow: boolean;
}

export function decodeStatus(st0: number, st1: number): Status {
  const v = st0 & 0x03;
  const valve = v === 0 ? "open" : v === 1 ? "closed" : v === 3 ? "abnormal" : "unknown";
  return { raw: st0 | (st1 << 8), valve, batteryLow: (st0 & 0x04) !== 0 };
}

/** What a heat meter (T 0x20 heat, 0x21 cooling) adds to the metering data. */
export interface HeatData {
  power?: Measured;
  flowRate?: Measured;
  volume?: Measured;
  supplyC?: number;
  returnC?: number;
  workingHours?: number;
}

export interface MeterFields {
  /** Current cumulative flow (water, gas) or heat (heat meters). */
  current?: Measured;
  /** The same at the settlement day. */
  settlement?: Measured;
  /** Meter's clock as "YYYY-MM-DD hh:mm:ss"; absent when not sent, all zeros or all FF. */
  time?: string;
  status?: Status;
  heat?: HeatData;
  /** Fields the meter sent as FF… (it does not measure them), by name. */
  unsupported: string[];
  /** Fields the reply stopped before (a short reply), by name. */
  missing: string[];
  /** Bytes after the last field, which some meters append (manufacturer data); ignored. */
  extraBytes: number;
}

type Kind = "measured" | "bcd3" | "time" | "status";
/** Where a field's value goes in MeterFields (heat-meter fields under `heat`). */
type Slot =
  | "current"
  | "settlement"
  | "time"
  | "status"
  | "power"
  | "flowRate"
  | "volume"
  | "supplyC"
  | "returnC"
  | "workingHours";
interface FieldSpec {
  name: string;
  kind: Kind;
  /** BCD decimals of a number. */
  decimals: number;
  slot: Slot;
}

const SIZE: Record<Kind, number> = { measured: 5, bcd3: 3, time: 7, status: 2 };

const field = (name: string, kind: Kind, decimals: number, slot: Slot): FieldSpec => ({
  name,
  kind,
  decimals,
  slot,
});
const TIME = field("time", "time", 0, "time");
const STATUS = field("status", "status", 0, "status");

const WATER: readonly FieldSpec[] = [
  field("current_flow", "measured", 2, "current"),
  field("settlement_flow", "measured", 2, "settlement"),
  TIME,
  STATUS,
];

const HEAT: readonly FieldSpec[] = [
  field("settlement_heat", "measured", 2, "settlement"),
  field("current_heat", "measured", 2, "current"),
  field("heat_power", "measured", 2, "power"),
  field("flow_rate", "measured", 4, "flowRate"),
  field("accumulated_flow", "measured", 2, "volume"),
  field("supply_temperature", "bcd3", 2, "supplyC"),
  field("return_temperature", "bcd3", 2, "returnC"),
  field("working_hours", "bcd3", 0, "workingHours"),
  TIME,
  STATUS,
];

function assign(out: MeterFields, slot: Slot, v: Measured | number | string | Status): void {
  switch (slot) {
    case "current":
    case "settlement":
      out[slot] = v as Measured;
      return;
    case "time":
      out.time = v as string;
      return;
    case "status":
      out.status = v as Status;
      return;
    case "power":
    case "flowRate":
    case "volume":
      out.heat = { ...out.heat, [slot]: v as Measured };
      return;
    default:
      out.heat = { ...out.heat, [slot]: v as number };
  }
}

/** Heat meters are the 2x meter types (0x20 heat, 0x21 cooling). */
export function isHeatMeter(meterType: number): boolean {
  return (meterType & 0xf0) === 0x20;
}

/** Full data length of a 901F reply for this meter type (22 water/gas, 46 heat). */
export function fullLength(meterType: number): number {
  const specs = isHeatMeter(meterType) ? HEAT : WATER;
  return FIRST + specs.reduce((n, s) => n + SIZE[s.kind], 0);
}

const allFf = (b: Uint8Array) => b.length > 0 && b.every((x) => x === 0xff);

/** BCD digits at `decimals`: divided by a power of ten, which is exact to the decimal written. */
function bcdNumber(b: Uint8Array, at: number, what: string, decimals: number): number {
  return bcdToInt(b, DATA_AT + at, what, P) / 10 ** decimals;
}

/** 7 bytes ss mm hh DD MM YY YY (low byte first, so the year's high byte is last). */
function decodeTime(b: Uint8Array, at: number): string | undefined {
  if (b.every((x) => x === 0)) return undefined;
  const part = (k: number) => bcdToInt(b.subarray(k, k + 1), DATA_AT + at + k, "real time", P);
  const year = bcdToInt(b.subarray(5, 7), DATA_AT + at + 5, "real time", P);
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${year}-${p2(part(4))}-${p2(part(3))} ${p2(part(2))}:${p2(part(1))}:${p2(part(0))}`;
}

/** Parses the fields after DI0 DI1 SER of a 901F reply's data `d`. */
export function parseMeterFields(meterType: number, d: Uint8Array): MeterFields {
  const out: MeterFields = { unsupported: [], missing: [], extraBytes: 0 };
  const specs = isHeatMeter(meterType) ? HEAT : WATER;
  let at = FIRST;
  for (const spec of specs) {
    const size = SIZE[spec.kind];
    if (at >= d.length) {
      out.missing.push(spec.name);
      continue;
    }
    if (at + size > d.length)
      throw new HearthError(
        `${P}: 901F reply ends inside ${spec.name} (data byte ${at}, ${size} bytes, ${d.length - at} present)`,
        ErrorCode.FrameTruncated,
        { protocol: P, offset: DATA_AT + d.length, field: spec.name },
      );
    const b = d.subarray(at, at + size);
    // The value of a measured field, or the whole of any other, all FF: the meter does not measure it.
    const valueBytes = spec.kind === "measured" ? b.subarray(0, 4) : b;
    if (allFf(valueBytes)) out.unsupported.push(spec.name);
    else if (spec.kind === "measured")
      assign(out, spec.slot, {
        value: bcdNumber(b.subarray(0, 4), at, spec.name.replace(/_/g, " "), spec.decimals),
        unit: b[4] as number,
      });
    else if (spec.kind === "bcd3")
      assign(out, spec.slot, bcdNumber(b, at, spec.name.replace(/_/g, " "), spec.decimals));
    else if (spec.kind === "time") {
      const t = decodeTime(b, at);
      if (t !== undefined) assign(out, spec.slot, t);
    } else assign(out, spec.slot, decodeStatus(b[0] as number, b[1] as number));
    at += size;
  }
  out.extraBytes = Math.max(0, d.length - at);
  return out;
}
