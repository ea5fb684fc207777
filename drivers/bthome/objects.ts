/**
 * The BTHome v2 object table: what each object id carries, how many bytes, signedness, scaling and unit.
 *
 * Written from the BTHome v2 format page (https://bthome.io/format, "Sensor data", "Binary sensor data",
 * "Events", "Misc") and checked against the table of the reference receiver, Bluetooth-Devices/bthome-ble
 * `src/bthome_ble/const.py` (MEAS_TYPES). Names are the spec's property names in snake_case. Four binary
 * objects share their spec name with a sensor (battery, power, moisture, gas); they get a suffix saying
 * what `true` means (battery_low, power_on, moisture_detected, gas_detected) so a name is never ambiguous.
 */

export type ObjectKind =
  | "packet_id"
  | "sensor"
  | "binary"
  | "button"
  | "dimmer"
  | "text"
  | "raw"
  | "timestamp"
  | "device_type"
  | "firmware";

export interface ObjectSpec {
  readonly id: number;
  readonly name: string;
  readonly kind: ObjectKind;
  /** Bytes of the value; 0 for text/raw, whose first byte gives the length. */
  readonly length: number;
  readonly signed: boolean;
  readonly factor: number;
  readonly unit: string;
}

type Row = [
  id: number,
  name: string,
  kind: ObjectKind,
  length: number,
  signed: boolean,
  factor: number,
  unit: string,
];

const U = false;
const S = true;

const ROWS: Row[] = [
  [0x00, "packet_id", "packet_id", 1, U, 1, ""],
  [0x01, "battery", "sensor", 1, U, 1, "%"],
  [0x02, "temperature", "sensor", 2, S, 0.01, "°C"],
  [0x03, "humidity", "sensor", 2, U, 0.01, "%"],
  [0x04, "pressure", "sensor", 3, U, 0.01, "hPa"],
  [0x05, "illuminance", "sensor", 3, U, 0.01, "lx"],
  [0x06, "mass", "sensor", 2, U, 0.01, "kg"],
  [0x07, "mass", "sensor", 2, U, 0.01, "lb"],
  [0x08, "dew_point", "sensor", 2, S, 0.01, "°C"],
  [0x09, "count", "sensor", 1, U, 1, ""],
  [0x0a, "energy", "sensor", 3, U, 0.001, "kWh"],
  [0x0b, "power", "sensor", 3, U, 0.01, "W"],
  [0x0c, "voltage", "sensor", 2, U, 0.001, "V"],
  [0x0d, "pm2_5", "sensor", 2, U, 1, "µg/m³"],
  [0x0e, "pm10", "sensor", 2, U, 1, "µg/m³"],
  [0x0f, "generic_boolean", "binary", 1, U, 1, ""],
  [0x10, "power_on", "binary", 1, U, 1, ""],
  [0x11, "opening", "binary", 1, U, 1, ""],
  [0x12, "co2", "sensor", 2, U, 1, "ppm"],
  [0x13, "tvoc", "sensor", 2, U, 1, "µg/m³"],
  [0x14, "moisture", "sensor", 2, U, 0.01, "%"],
  [0x15, "battery_low", "binary", 1, U, 1, ""],
  [0x16, "battery_charging", "binary", 1, U, 1, ""],
  [0x17, "carbon_monoxide", "binary", 1, U, 1, ""],
  [0x18, "cold", "binary", 1, U, 1, ""],
  [0x19, "connectivity", "binary", 1, U, 1, ""],
  [0x1a, "door", "binary", 1, U, 1, ""],
  [0x1b, "garage_door", "binary", 1, U, 1, ""],
  [0x1c, "gas_detected", "binary", 1, U, 1, ""],
  [0x1d, "heat", "binary", 1, U, 1, ""],
  [0x1e, "light", "binary", 1, U, 1, ""],
  [0x1f, "lock", "binary", 1, U, 1, ""],
  [0x20, "moisture_detected", "binary", 1, U, 1, ""],
  [0x21, "motion", "binary", 1, U, 1, ""],
  [0x22, "moving", "binary", 1, U, 1, ""],
  [0x23, "occupancy", "binary", 1, U, 1, ""],
  [0x24, "plug", "binary", 1, U, 1, ""],
  [0x25, "presence", "binary", 1, U, 1, ""],
  [0x26, "problem", "binary", 1, U, 1, ""],
  [0x27, "running", "binary", 1, U, 1, ""],
  [0x28, "safety", "binary", 1, U, 1, ""],
  [0x29, "smoke", "binary", 1, U, 1, ""],
  [0x2a, "sound", "binary", 1, U, 1, ""],
  [0x2b, "tamper", "binary", 1, U, 1, ""],
  [0x2c, "vibration", "binary", 1, U, 1, ""],
  [0x2d, "window", "binary", 1, U, 1, ""],
  [0x2e, "humidity", "sensor", 1, U, 1, "%"],
  [0x2f, "moisture", "sensor", 1, U, 1, "%"],
  [0x3a, "button", "button", 1, U, 1, ""],
  [0x3c, "dimmer", "dimmer", 2, U, 1, ""],
  [0x3d, "count", "sensor", 2, U, 1, ""],
  [0x3e, "count", "sensor", 4, U, 1, ""],
  [0x3f, "rotation", "sensor", 2, S, 0.1, "°"],
  [0x40, "distance", "sensor", 2, U, 1, "mm"],
  [0x41, "distance", "sensor", 2, U, 0.1, "m"],
  [0x42, "duration", "sensor", 3, U, 0.001, "s"],
  [0x43, "current", "sensor", 2, U, 0.001, "A"],
  [0x44, "speed", "sensor", 2, U, 0.01, "m/s"],
  [0x45, "temperature", "sensor", 2, S, 0.1, "°C"],
  [0x46, "uv_index", "sensor", 1, U, 0.1, ""],
  [0x47, "volume", "sensor", 2, U, 0.1, "L"],
  [0x48, "volume", "sensor", 2, U, 1, "mL"],
  [0x49, "volume_flow_rate", "sensor", 2, U, 0.001, "m³/h"],
  [0x4a, "voltage", "sensor", 2, U, 0.1, "V"],
  [0x4b, "gas", "sensor", 3, U, 0.001, "m³"],
  [0x4c, "gas", "sensor", 4, U, 0.001, "m³"],
  [0x4d, "energy", "sensor", 4, U, 0.001, "kWh"],
  [0x4e, "volume", "sensor", 4, U, 0.001, "L"],
  [0x4f, "water", "sensor", 4, U, 0.001, "L"],
  [0x50, "timestamp", "timestamp", 4, U, 1, "s"],
  [0x51, "acceleration", "sensor", 2, U, 0.001, "m/s²"],
  [0x52, "gyroscope", "sensor", 2, U, 0.001, "°/s"],
  [0x53, "text", "text", 0, U, 1, ""],
  [0x54, "raw", "raw", 0, U, 1, ""],
  [0x55, "volume_storage", "sensor", 4, U, 0.001, "L"],
  [0x56, "conductivity", "sensor", 2, U, 1, "µS/cm"],
  [0x57, "temperature", "sensor", 1, S, 1, "°C"],
  [0x58, "temperature", "sensor", 1, S, 0.35, "°C"],
  [0x59, "count", "sensor", 1, S, 1, ""],
  [0x5a, "count", "sensor", 2, S, 1, ""],
  [0x5b, "count", "sensor", 4, S, 1, ""],
  [0x5c, "power", "sensor", 4, S, 0.01, "W"],
  [0x5d, "current", "sensor", 2, S, 0.001, "A"],
  [0x5e, "direction", "sensor", 2, U, 0.01, "°"],
  [0x5f, "precipitation", "sensor", 2, U, 0.1, "mm"],
  [0x60, "channel", "sensor", 1, U, 1, ""],
  [0x61, "rotational_speed", "sensor", 2, U, 1, "rpm"],
  [0x62, "speed", "sensor", 4, S, 0.000001, "m/s"],
  [0x63, "acceleration", "sensor", 4, S, 0.000001, "m/s²"],
  [0x64, "light_level", "sensor", 1, U, 1, ""],
  [0xf0, "device_type_id", "device_type", 2, U, 1, ""],
  [0xf1, "firmware_version", "firmware", 4, U, 1, ""],
  [0xf2, "firmware_version", "firmware", 3, U, 1, ""],
];

export const OBJECTS: ReadonlyMap<number, ObjectSpec> = new Map(
  ROWS.map(([id, name, kind, length, signed, factor, unit]) => [
    id,
    { id, name, kind, length, signed, factor, unit },
  ]),
);

/** Button event codes (spec "Events", object 0x3A). 0x00 means "no event" and is not reported. */
export const BUTTON_EVENT_CODES: ReadonlyMap<number, string> = new Map([
  [0x01, "press"],
  [0x02, "double_press"],
  [0x03, "triple_press"],
  [0x04, "long_press"],
  [0x05, "long_double_press"],
  [0x06, "long_triple_press"],
  [0x80, "hold_press"],
]);

/** Dimmer event codes (object 0x3C); the second byte is the number of steps. */
export const DIMMER_EVENT_CODES: ReadonlyMap<number, string> = new Map([
  [0x01, "rotate_left"],
  [0x02, "rotate_right"],
]);

export function buttonEventCode(event: string): number | undefined {
  for (const [code, name] of BUTTON_EVENT_CODES) if (name === event) return code;
  return undefined;
}
