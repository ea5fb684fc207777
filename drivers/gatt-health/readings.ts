/**
 * A decoded measurement → what the pipeline records: the resident's values in the channels' units, at
 * the device's own time when its clock can be trusted, else at the receive time. Pure.
 */
import type { HealthChannel } from "../../src/core/channels.js";
import type { HealthReading } from "../../src/core/readings.js";
import { DAY_MS, MINUTE_MS } from "../../src/core/time.js";
import { isFiniteMed, type MedValue } from "./ieee11073.js";
import type { HealthMeasurement } from "./measurements.js";
import type { GattDateTime } from "./reader.js";

const MMHG_PER_KPA = 7.500615758;
const KG_PER_LB = 0.45359237;
/** A Weight Scale / Blood Pressure "unknown user" (GATT Specification Supplement: user index 0xFF). */
export const UNKNOWN_USER = 0xff;

export interface ReadingOptions {
  device: string;
  /** The resident's user index on a multi-user monitor; undefined: every reading is the resident's. */
  userId?: number;
  /** The home's time zone: device time stamps are local times without a zone. */
  timeZone: string;
  /** A time stamp before this year is a clock never set (many devices start at 2000-01-01). */
  clockValidFromYear?: number;
  /** Stored records older than this (ms before receipt) are taken as a wrong clock. Default 400 days. */
  maxAgeMs?: number;
}

export type ReadingVerdict =
  | { kind: "reading"; reading: HealthReading }
  | { kind: "dropped"; reason: "other_user" | "unknown_user" | "intermediate" | "no_value" };

/** The offset of `timeZone` at instant `ms`, in ms (east positive). */
function offsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(ms));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** A device's local time stamp → wall ms in `timeZone` (the earlier instant when a clock change repeats it). */
export function localToWall(t: GattDateTime, timeZone: string): number {
  const guess = Date.UTC(t.year, t.month - 1, t.day, t.hours, t.minutes, t.seconds);
  const first = guess - offsetMs(guess, timeZone);
  return guess - offsetMs(first, timeZone);
}

/**
 * The measurement's time: its time stamp when the clock was set and the time is plausible (not in the
 * future, not older than `maxAgeMs`), else undefined (the caller uses the receive time).
 */
export function trustedTime(
  m: HealthMeasurement,
  receivedWall: number,
  o: ReadingOptions,
): number | undefined {
  if (m.characteristic === "plx_spot_check_measurement" && m.device_clock_not_set) return undefined;
  const t = m.timestamp;
  if (!t?.local || t.year < (o.clockValidFromYear ?? 2010)) return undefined;
  const wall = localToWall(t, o.timeZone);
  if (wall > receivedWall + 10 * MINUTE_MS) return undefined;
  if (wall < receivedWall - (o.maxAgeMs ?? 400 * DAY_MS)) return undefined;
  return wall;
}

const round = (v: number, places: number) => Math.round(v * 10 ** places) / 10 ** places;

function valuesOf(m: HealthMeasurement): {
  values: [HealthChannel, MedValue | number | undefined][];
  flags: string[];
} {
  switch (m.characteristic) {
    case "blood_pressure_measurement": {
      const k = m.unit === "kPa" ? MMHG_PER_KPA : 1;
      const mmHg = (v: MedValue) => (isFiniteMed(v) ? round(v * k, 1) : v);
      const s = m.status;
      const flags = s
        ? [
            ...(s.body_movement ? ["body_movement"] : []),
            ...(s.cuff_too_loose ? ["cuff_too_loose"] : []),
            ...(s.irregular_pulse ? ["irregular_pulse"] : []),
            ...(s.improper_position ? ["improper_position"] : []),
            ...(s.pulse_rate_range !== "in_range" ? [`pulse_rate_${s.pulse_rate_range}`] : []),
          ]
        : [];
      return {
        values: [
          ["systolic_mmhg", mmHg(m.systolic)],
          ["diastolic_mmhg", mmHg(m.diastolic)],
          ["mean_arterial_pressure_mmhg", mmHg(m.mean_arterial_pressure)],
          ["pulse_bpm", m.pulse_rate],
        ],
        flags,
      };
    }
    case "weight_measurement": {
      const kg =
        m.weight === "unsuccessful" ? undefined : m.unit === "lb" ? round(m.weight * KG_PER_LB, 3) : m.weight;
      return {
        values: [
          ["weight_kg", kg],
          ["bmi", m.bmi],
        ],
        flags: [],
      };
    }
    case "temperature_measurement": {
      const c =
        isFiniteMed(m.temperature) && m.unit === "°F"
          ? round(((m.temperature - 32) * 5) / 9, 2)
          : m.temperature;
      return {
        values: [["body_temperature_c", c]],
        flags: m.temperature_type ? [`site_${m.temperature_type.name}`] : [],
      };
    }
    case "plx_spot_check_measurement":
    case "plx_continuous_measurement":
      return {
        values: [
          ["spo2_pct", m.spo2],
          ["pulse_bpm", m.pulse_rate],
        ],
        flags: [...(m.measurement_status ?? []), ...(m.device_sensor_status ?? [])],
      };
    default:
      return { values: [], flags: [] };
  }
}

export function toReading(
  m: HealthMeasurement,
  receivedWall: number,
  mono: number,
  o: ReadingOptions,
): ReadingVerdict {
  if (m.characteristic === "intermediate_cuff_pressure" || m.characteristic === "intermediate_temperature")
    return { kind: "dropped", reason: "intermediate" };
  if (o.userId !== undefined && m.user_id !== undefined && m.user_id !== o.userId)
    return { kind: "dropped", reason: m.user_id === UNKNOWN_USER ? "unknown_user" : "other_user" };
  const { values, flags } = valuesOf(m);
  // A marker (NaN, NRes, ±INF) is no reading: that value is left out, the others kept.
  const kept = values.flatMap(([channel, v]) =>
    typeof v === "number" && Number.isFinite(v) ? [{ channel, value: v }] : [],
  );
  if (kept.length === 0) return { kind: "dropped", reason: "no_value" };
  const at = trustedTime(m, receivedWall, o);
  return {
    kind: "reading",
    reading: {
      device: o.device,
      atWallMs: at ?? receivedWall,
      receiveTime: at === undefined,
      values: kept,
      flags,
      mono,
    },
  };
}

/**
 * What makes two indications the same record: the characteristic, the device's time stamp (when it
 * has one) and the value's bytes. A device that sends its stored records again after a reconnect
 * sends the same bytes; a new measurement differs in time stamp (or value).
 */
export function recordKey(device: string, uuid16: string, value: Uint8Array): string {
  return `${device}|${uuid16}|${Buffer.from(value).toString("hex")}`;
}
