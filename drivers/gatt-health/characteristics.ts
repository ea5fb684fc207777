/**
 * The health services and measurement characteristics Hearth reads, by 16-bit UUID and by name, and the
 * full 128-bit UUIDs BlueZ shows (Bluetooth Base UUID 0000xxxx-0000-1000-8000-00805f9b34fb).
 */
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import {
  decodeBloodPressure,
  decodePlxContinuous,
  decodePlxSpotCheck,
  decodeTemperature,
  decodeWeight,
  type HealthMeasurement,
} from "./measurements.js";

export type HealthService = "blood_pressure" | "weight_scale" | "health_thermometer" | "pulse_oximeter";

export interface CharacteristicSpec {
  uuid16: string;
  name: string;
  service: HealthService;
  /** Measurements that are final (recorded) as opposed to intermediate (shown while measuring). */
  final: boolean;
  decode(bytes: Uint8Array): HealthMeasurement;
}

export const SERVICE_UUID16: Readonly<Record<HealthService, string>> = {
  blood_pressure: "1810",
  weight_scale: "181d",
  health_thermometer: "1809",
  pulse_oximeter: "1822",
};

export const CHARACTERISTICS: readonly CharacteristicSpec[] = [
  {
    uuid16: "2a35",
    name: "blood_pressure_measurement",
    service: "blood_pressure",
    final: true,
    decode: (b) => decodeBloodPressure(b),
  },
  {
    uuid16: "2a36",
    name: "intermediate_cuff_pressure",
    service: "blood_pressure",
    final: false,
    decode: (b) => decodeBloodPressure(b, "intermediate_cuff_pressure"),
  },
  { uuid16: "2a9d", name: "weight_measurement", service: "weight_scale", final: true, decode: decodeWeight },
  {
    uuid16: "2a1c",
    name: "temperature_measurement",
    service: "health_thermometer",
    final: true,
    decode: (b) => decodeTemperature(b),
  },
  {
    uuid16: "2a1e",
    name: "intermediate_temperature",
    service: "health_thermometer",
    final: false,
    decode: (b) => decodeTemperature(b, "intermediate_temperature"),
  },
  {
    uuid16: "2a5e",
    name: "plx_spot_check_measurement",
    service: "pulse_oximeter",
    final: true,
    decode: decodePlxSpotCheck,
  },
  {
    uuid16: "2a5f",
    name: "plx_continuous_measurement",
    service: "pulse_oximeter",
    final: true,
    decode: decodePlxContinuous,
  },
];

export function uuid128(uuid16: string): string {
  return `0000${uuid16.toLowerCase()}-0000-1000-8000-00805f9b34fb`;
}

/** The 16-bit UUID of a 128-bit one built on the Bluetooth Base UUID, else undefined. */
export function uuid16Of(uuid: string): string | undefined {
  const m = /^0000([0-9a-f]{4})-0000-1000-8000-00805f9b34fb$/i.exec(uuid);
  return m ? (m[1] as string).toLowerCase() : undefined;
}

/**
 * A characteristic by what an installer types: "2a35", "0x2A35", the 128-bit UUID, or the name
 * ("blood_pressure_measurement", also with dashes or spaces).
 */
export function findCharacteristic(id: string): CharacteristicSpec | undefined {
  const t = id.trim().toLowerCase();
  const hex = t.replace(/^0x/, "");
  const u16 = /^[0-9a-f]{4}$/.test(hex) ? hex : uuid16Of(t);
  if (u16) return CHARACTERISTICS.find((c) => c.uuid16 === u16);
  const name = t.replace(/[\s-]+/g, "_");
  return CHARACTERISTICS.find((c) => c.name === name);
}

export function characteristicOrThrow(id: string): CharacteristicSpec {
  const c = findCharacteristic(id);
  if (!c)
    throw new HearthError(
      `unknown health characteristic "${id}" (one of ${CHARACTERISTICS.map((x) => `${x.uuid16} ${x.name}`).join(", ")})`,
      ErrorCode.FrameUnsupported,
    );
  return c;
}
