/**
 * Measurement values built from fields, the inverse of ./measurements.ts: for the simulated GATT
 * peripherals and the codec's property tests. Flags follow from which optional fields are given.
 */
import { floatBits, type MedSpecial, sfloatBits, toFloatParts, toSfloatParts } from "./ieee11073.js";
import type { PulseRateRange } from "./measurements.js";
import { PLX_DEVICE_SENSOR_STATUS, PLX_MEASUREMENT_STATUS } from "./measurements.js";
import type { GattDateTime } from "./reader.js";

/** A medical float to send: a marker, exact parts, or a decimal (one place kept). */
export type MedInput = MedSpecial | { mantissa: number; exponent: number } | number;

/** A Date Time to send: the fields the reader gives back, without its derived `local`. */
export type DateTimeInput = Omit<GattDateTime, "local">;

class Writer {
  readonly out: number[] = [];
  u8(v: number): void {
    this.out.push(v & 0xff);
  }
  u16(v: number): void {
    this.out.push(v & 0xff, (v >> 8) & 0xff);
  }
  u24(v: number): void {
    this.out.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff);
  }
  u32(v: number): void {
    this.u16(v & 0xffff);
    this.u16(v >>> 16);
  }
  sfloat(v: MedInput): void {
    this.u16(sfloatBits(typeof v === "number" ? toSfloatParts(v, 1) : v));
  }
  float(v: MedInput): void {
    this.u32(floatBits(typeof v === "number" ? toFloatParts(v, 2) : v));
  }
  dateTime(t: DateTimeInput): void {
    this.u16(t.year);
    for (const v of [t.month, t.day, t.hours, t.minutes, t.seconds]) this.u8(v);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

function withFlags(flags: number, body: Writer): Uint8Array {
  return Uint8Array.from([flags & 0xff, ...body.out]);
}

export interface BloodPressureInput {
  kPa?: boolean;
  systolic: MedInput;
  diastolic: MedInput;
  meanArterialPressure: MedInput;
  timestamp?: DateTimeInput;
  pulseRate?: MedInput;
  userId?: number;
  status?: {
    bodyMovement?: boolean;
    cuffTooLoose?: boolean;
    irregularPulse?: boolean;
    pulseRateRange?: PulseRateRange;
    improperPosition?: boolean;
  };
}

const RANGE_BITS: Record<PulseRateRange, number> = {
  in_range: 0,
  above_upper_limit: 1,
  below_lower_limit: 2,
  reserved: 3,
};

export function encodeBloodPressure(m: BloodPressureInput): Uint8Array {
  const w = new Writer();
  let flags = m.kPa ? 0x01 : 0;
  w.sfloat(m.systolic);
  w.sfloat(m.diastolic);
  w.sfloat(m.meanArterialPressure);
  if (m.timestamp) {
    flags |= 0x02;
    w.dateTime(m.timestamp);
  }
  if (m.pulseRate !== undefined) {
    flags |= 0x04;
    w.sfloat(m.pulseRate);
  }
  if (m.userId !== undefined) {
    flags |= 0x08;
    w.u8(m.userId);
  }
  if (m.status) {
    flags |= 0x10;
    const s = m.status;
    w.u16(
      (s.bodyMovement ? 0x01 : 0) |
        (s.cuffTooLoose ? 0x02 : 0) |
        (s.irregularPulse ? 0x04 : 0) |
        (RANGE_BITS[s.pulseRateRange ?? "in_range"] << 3) |
        (s.improperPosition ? 0x20 : 0),
    );
  }
  return withFlags(flags, w);
}

export interface WeightInput {
  imperial?: boolean;
  /** Raw units: 0.005 kg or 0.01 lb steps; 0xFFFF = unsuccessful. */
  rawWeight: number;
  timestamp?: DateTimeInput;
  userId?: number;
  /** Raw: BMI in 0.1 steps, height in 0.001 m or 0.1 in steps. */
  bmiHeight?: { rawBmi: number; rawHeight: number };
}

export function encodeWeight(m: WeightInput): Uint8Array {
  const w = new Writer();
  let flags = m.imperial ? 0x01 : 0;
  w.u16(m.rawWeight);
  if (m.timestamp) {
    flags |= 0x02;
    w.dateTime(m.timestamp);
  }
  if (m.userId !== undefined) {
    flags |= 0x04;
    w.u8(m.userId);
  }
  if (m.bmiHeight) {
    flags |= 0x08;
    w.u16(m.bmiHeight.rawBmi);
    w.u16(m.bmiHeight.rawHeight);
  }
  return withFlags(flags, w);
}

export interface TemperatureInput {
  fahrenheit?: boolean;
  temperature: MedInput;
  timestamp?: DateTimeInput;
  type?: number;
}

export function encodeTemperature(m: TemperatureInput): Uint8Array {
  const w = new Writer();
  let flags = m.fahrenheit ? 0x01 : 0;
  w.float(m.temperature);
  if (m.timestamp) {
    flags |= 0x02;
    w.dateTime(m.timestamp);
  }
  if (m.type !== undefined) {
    flags |= 0x04;
    w.u8(m.type);
  }
  return withFlags(flags, w);
}

function bitsOf(names: readonly string[] | undefined, table: readonly (string | undefined)[]): number {
  let v = 0;
  for (const n of names ?? []) {
    const bit = table.indexOf(n);
    if (bit >= 0) v |= 1 << bit;
  }
  return v;
}

export interface PlxInput {
  spo2: MedInput;
  pulseRate: MedInput;
  measurementStatus?: string[];
  deviceSensorStatus?: string[];
  pulseAmplitudeIndex?: MedInput;
}

export function encodePlxSpotCheck(
  m: PlxInput & { timestamp?: DateTimeInput; clockNotSet?: boolean },
): Uint8Array {
  const w = new Writer();
  let flags = m.clockNotSet ? 0x10 : 0;
  w.sfloat(m.spo2);
  w.sfloat(m.pulseRate);
  if (m.timestamp) {
    flags |= 0x01;
    w.dateTime(m.timestamp);
  }
  flags |= plxTail(w, m, 0x02);
  return withFlags(flags, w);
}

export function encodePlxContinuous(
  m: PlxInput & { fast?: [MedInput, MedInput]; slow?: [MedInput, MedInput] },
): Uint8Array {
  const w = new Writer();
  let flags = 0;
  w.sfloat(m.spo2);
  w.sfloat(m.pulseRate);
  for (const [bit, pair] of [
    [0x01, m.fast],
    [0x02, m.slow],
  ] as const) {
    if (!pair) continue;
    flags |= bit;
    w.sfloat(pair[0]);
    w.sfloat(pair[1]);
  }
  flags |= plxTail(w, m, 0x04);
  return withFlags(flags, w);
}

/** Status, device status and PAI; `first` is the flag bit of the status (spot-check 0x02, continuous 0x04). */
function plxTail(w: Writer, m: PlxInput, first: number): number {
  let flags = 0;
  if (m.measurementStatus) {
    flags |= first;
    w.u16(bitsOf(m.measurementStatus, PLX_MEASUREMENT_STATUS));
  }
  if (m.deviceSensorStatus) {
    flags |= first << 1;
    w.u24(bitsOf(m.deviceSensorStatus, PLX_DEVICE_SENSOR_STATUS));
  }
  if (m.pulseAmplitudeIndex !== undefined) {
    flags |= first << 2;
    w.sfloat(m.pulseAmplitudeIndex);
  }
  return flags;
}
