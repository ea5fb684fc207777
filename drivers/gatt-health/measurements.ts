/**
 * The health services' measurement characteristics, decoded as the Bluetooth SIG's GATT Specification
 * Supplement lays them out: a flags byte, the mandatory fields, then the optional fields the flags
 * announce, in the order the flags list them. Pure: bytes in, typed value or HearthError (Frame*) out.
 * Glucose (0x2A18) and its record access procedure are not here (a later issue).
 */
import type { MedValue } from "./ieee11073.js";
import { bitNames, type GattDateTime, reservedFlags, ValueReader } from "./reader.js";

interface Common {
  /** The characteristic's 16-bit UUID, lower case hex ("2a35"). */
  uuid: string;
  flags: number;
  timestamp?: GattDateTime;
  user_id?: number;
  /** What was odd but not fatal: reserved flags, trailing bytes. */
  notes: string[];
}

export type PulseRateRange = "in_range" | "above_upper_limit" | "below_lower_limit" | "reserved";

export interface BloodPressureStatus {
  body_movement: boolean;
  cuff_too_loose: boolean;
  irregular_pulse: boolean;
  pulse_rate_range: PulseRateRange;
  improper_position: boolean;
}

/** 0x2A35 Blood Pressure Measurement and 0x2A36 Intermediate Cuff Pressure (same layout). */
export interface BloodPressureMeasurement extends Common {
  characteristic: "blood_pressure_measurement" | "intermediate_cuff_pressure";
  unit: "mmHg" | "kPa";
  systolic: MedValue;
  diastolic: MedValue;
  mean_arterial_pressure: MedValue;
  pulse_rate?: MedValue;
  status?: BloodPressureStatus;
}

/** 0x2A9D Weight Measurement. */
export interface WeightMeasurement extends Common {
  characteristic: "weight_measurement";
  unit: "kg" | "lb";
  /** "unsuccessful" when the scale sent 0xFFFF (Measurement Unsuccessful). */
  weight: number | "unsuccessful";
  bmi?: number;
  height?: number;
  height_unit?: "m" | "in";
}

/** 0x2A1C Temperature Measurement and 0x2A1E Intermediate Temperature. */
export interface TemperatureMeasurement extends Common {
  characteristic: "temperature_measurement" | "intermediate_temperature";
  unit: "°C" | "°F";
  temperature: MedValue;
  temperature_type?: { code: number; name: string };
}

interface PlxCommon extends Common {
  spo2: MedValue;
  pulse_rate: MedValue;
  measurement_status?: string[];
  device_sensor_status?: string[];
  pulse_amplitude_index?: MedValue;
}

/** 0x2A5E PLX Spot-check Measurement. */
export interface PlxSpotCheck extends PlxCommon {
  characteristic: "plx_spot_check_measurement";
  /** Flags bit 4: the device says its clock was never set (its time stamp means nothing). */
  device_clock_not_set: boolean;
}

/** 0x2A5F PLX Continuous Measurement. */
export interface PlxContinuous extends PlxCommon {
  characteristic: "plx_continuous_measurement";
  fast?: { spo2: MedValue; pulse_rate: MedValue };
  slow?: { spo2: MedValue; pulse_rate: MedValue };
}

export type HealthMeasurement =
  | BloodPressureMeasurement
  | WeightMeasurement
  | TemperatureMeasurement
  | PlxSpotCheck
  | PlxContinuous;

/** The notes after the fields, so that `hearth decode` prints what was read before what was odd. */
function notesLast<T extends Common>(m: T): T {
  const { notes, ...rest } = m;
  return { ...rest, notes } as T;
}

const PULSE_RANGES: readonly PulseRateRange[] = [
  "in_range",
  "above_upper_limit",
  "below_lower_limit",
  "reserved",
];

export function decodeBloodPressure(
  bytes: Uint8Array,
  characteristic: BloodPressureMeasurement["characteristic"] = "blood_pressure_measurement",
): BloodPressureMeasurement {
  const r = new ValueReader(bytes, characteristic);
  const flags = r.u8("flags");
  const notes: string[] = [];
  reservedFlags(flags, 0x1f, notes);
  const m: BloodPressureMeasurement = {
    characteristic,
    uuid: characteristic === "blood_pressure_measurement" ? "2a35" : "2a36",
    flags,
    unit: flags & 0x01 ? "kPa" : "mmHg",
    systolic: r.sfloat("systolic"),
    diastolic: r.sfloat("diastolic"),
    mean_arterial_pressure: r.sfloat("mean arterial pressure"),
    notes,
  };
  if (flags & 0x02) m.timestamp = r.dateTime("time stamp");
  if (flags & 0x04) m.pulse_rate = r.sfloat("pulse rate");
  if (flags & 0x08) m.user_id = r.u8("user id");
  if (flags & 0x10) {
    const s = r.u16("measurement status");
    m.status = {
      body_movement: (s & 0x01) !== 0,
      cuff_too_loose: (s & 0x02) !== 0,
      irregular_pulse: (s & 0x04) !== 0,
      pulse_rate_range: PULSE_RANGES[(s >> 3) & 0x03] as PulseRateRange,
      improper_position: (s & 0x20) !== 0,
    };
  }
  r.trailing(notes);
  return notesLast(m);
}

export function decodeWeight(bytes: Uint8Array): WeightMeasurement {
  const r = new ValueReader(bytes, "weight_measurement");
  const flags = r.u8("flags");
  const notes: string[] = [];
  reservedFlags(flags, 0x0f, notes);
  const imperial = (flags & 0x01) !== 0;
  const raw = r.u16("weight");
  const m: WeightMeasurement = {
    characteristic: "weight_measurement",
    uuid: "2a9d",
    flags,
    unit: imperial ? "lb" : "kg",
    // Resolution 0.005 kg or 0.01 lb (the Weight Scale Feature only says how fine the scale really is).
    weight: raw === 0xffff ? "unsuccessful" : imperial ? raw / 100 : (raw * 5) / 1000,
    notes,
  };
  if (flags & 0x02) m.timestamp = r.dateTime("time stamp");
  if (flags & 0x04) m.user_id = r.u8("user id");
  if (flags & 0x08) {
    m.bmi = r.u16("BMI") / 10;
    const h = r.u16("height");
    m.height = imperial ? h / 10 : h / 1000;
    m.height_unit = imperial ? "in" : "m";
  }
  r.trailing(notes);
  return notesLast(m);
}

/** Temperature Type (GATT Specification Supplement 3.217). */
export const TEMPERATURE_TYPES: readonly string[] = [
  "reserved",
  "armpit",
  "body",
  "ear",
  "finger",
  "gastrointestinal_tract",
  "mouth",
  "rectum",
  "toe",
  "tympanum",
];

export function decodeTemperature(
  bytes: Uint8Array,
  characteristic: TemperatureMeasurement["characteristic"] = "temperature_measurement",
): TemperatureMeasurement {
  const r = new ValueReader(bytes, characteristic);
  const flags = r.u8("flags");
  const notes: string[] = [];
  reservedFlags(flags, 0x07, notes);
  const m: TemperatureMeasurement = {
    characteristic,
    uuid: characteristic === "temperature_measurement" ? "2a1c" : "2a1e",
    flags,
    unit: flags & 0x01 ? "°F" : "°C",
    temperature: r.float("temperature"),
    notes,
  };
  if (flags & 0x02) m.timestamp = r.dateTime("time stamp");
  if (flags & 0x04) {
    const code = r.u8("temperature type");
    m.temperature_type = { code, name: TEMPERATURE_TYPES[code] ?? "reserved" };
  }
  r.trailing(notes);
  return notesLast(m);
}

/** PLX Measurement Status bits 5..15 (bits 0..4 reserved). */
export const PLX_MEASUREMENT_STATUS: readonly (string | undefined)[] = [
  ...Array<undefined>(5).fill(undefined),
  "measurement_ongoing",
  "early_estimated_data",
  "validated_data",
  "fully_qualified_data",
  "data_from_measurement_storage",
  "data_for_demonstration",
  "data_for_testing",
  "calibration_ongoing",
  "measurement_unavailable",
  "questionable_measurement",
  "invalid_measurement",
];

/** PLX Device and Sensor Status bits 0..15 (16..23 reserved). */
export const PLX_DEVICE_SENSOR_STATUS: readonly string[] = [
  "extended_display_update_ongoing",
  "equipment_malfunction",
  "signal_processing_irregularity",
  "inadequate_signal",
  "poor_signal",
  "low_perfusion",
  "erratic_signal",
  "nonpulsatile_signal",
  "questionable_pulse",
  "signal_analysis_ongoing",
  "sensor_interference",
  "sensor_unconnected_to_user",
  "unknown_sensor_connected",
  "sensor_displaced",
  "sensor_malfunctioning",
  "sensor_disconnected",
];

function plxTail(r: ValueReader, m: PlxCommon, status: boolean, device: boolean, pai: boolean): void {
  if (status) m.measurement_status = bitNames(r.u16("measurement status"), PLX_MEASUREMENT_STATUS, 16);
  if (device)
    m.device_sensor_status = bitNames(r.u24("device and sensor status"), PLX_DEVICE_SENSOR_STATUS, 24);
  if (pai) m.pulse_amplitude_index = r.sfloat("pulse amplitude index");
}

export function decodePlxSpotCheck(bytes: Uint8Array): PlxSpotCheck {
  const r = new ValueReader(bytes, "plx_spot_check_measurement");
  const flags = r.u8("flags");
  const notes: string[] = [];
  reservedFlags(flags, 0x1f, notes);
  const m: PlxSpotCheck = {
    characteristic: "plx_spot_check_measurement",
    uuid: "2a5e",
    flags,
    spo2: r.sfloat("SpO2"),
    pulse_rate: r.sfloat("pulse rate"),
    device_clock_not_set: (flags & 0x10) !== 0,
    notes,
  };
  if (flags & 0x01) m.timestamp = r.dateTime("time stamp");
  plxTail(r, m, (flags & 0x02) !== 0, (flags & 0x04) !== 0, (flags & 0x08) !== 0);
  r.trailing(notes);
  return notesLast(m);
}

export function decodePlxContinuous(bytes: Uint8Array): PlxContinuous {
  const r = new ValueReader(bytes, "plx_continuous_measurement");
  const flags = r.u8("flags");
  const notes: string[] = [];
  reservedFlags(flags, 0x1f, notes);
  const m: PlxContinuous = {
    characteristic: "plx_continuous_measurement",
    uuid: "2a5f",
    flags,
    spo2: r.sfloat("SpO2 (normal)"),
    pulse_rate: r.sfloat("pulse rate (normal)"),
    notes,
  };
  if (flags & 0x01) m.fast = { spo2: r.sfloat("SpO2 (fast)"), pulse_rate: r.sfloat("pulse rate (fast)") };
  if (flags & 0x02) m.slow = { spo2: r.sfloat("SpO2 (slow)"), pulse_rate: r.sfloat("pulse rate (slow)") };
  plxTail(r, m, (flags & 0x04) !== 0, (flags & 0x08) !== 0, (flags & 0x10) !== 0);
  r.trailing(notes);
  return notesLast(m);
}
