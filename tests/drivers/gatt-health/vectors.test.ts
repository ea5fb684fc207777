/**
 * GATT health codecs against published vectors. Each vector names where it comes from:
 *  - NordicSemiconductor/Android-BLE-Common-Library, ble-common/src/test/.../bps/
 *    BloodPressureMeasurementDataCallbackTest.java and .../ht/TemperatureMeasurementDataCallbackTest.java;
 *  - StanfordSpezi/SpeziBluetooth, Tests/SpeziBluetoothServicesTests/PLXTests.swift;
 *  - RonanB96/bluetooth-sig-python, tests/gatt/characteristics/test_weight_measurement.py;
 *  - HL7/phd, input/pagecontent/MderFLOATsandSFLOATs.md (FLOAT and SFLOAT encoding tables);
 *  - special values: Zephyr/Nordic sfloat.h (enum sfloat_special) and Wireshark's IEEE 11073 float
 *    ftype (SFLOAT_VALUE_* / FLOAT_VALUE_*), which agree with IEEE 11073-20601.
 */
import { describe, expect, it } from "vitest";
import { findCharacteristic } from "../../../drivers/gatt-health/characteristics.js";
import { readFloat, readSfloat } from "../../../drivers/gatt-health/ieee11073.js";
import {
  decodeBloodPressure,
  decodePlxContinuous,
  decodePlxSpotCheck,
  decodeTemperature,
  decodeWeight,
} from "../../../drivers/gatt-health/measurements.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const b = (...x: number[]) => Uint8Array.from(x);
const le16 = (v: number) => b(v & 0xff, v >> 8);
const le32 = (v: number) => b(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);

function errorOf(fn: () => unknown): { code: number; offset: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    if (!isHearthError(e)) throw e;
    return { code: e.code, offset: e.context.offset, message: e.message };
  }
  throw new Error("expected a HearthError");
}

describe("IEEE 11073 SFLOAT and FLOAT", () => {
  it("HL7/phd SFLOAT table: 0x0002 → 2, 0xF014 → 2.0, 0xE0C8 → 2.00, 0x1002 → 20, 0x2002 → 200, 0x04D2 → 1234, 0x0B2E → -1234", () => {
    const table: [number, number][] = [
      [0x0002, 2],
      [0xf014, 2],
      [0xe0c8, 2],
      [0x1002, 20],
      [0x2002, 200],
      [0x00c8, 200],
      [0x04d2, 1234],
      [0x0b2e, -1234],
    ];
    for (const [raw, want] of table) expect(readSfloat(le16(raw), 0), raw.toString(16)).toBe(want);
  });

  it("HL7/phd FLOAT table: 0xFF000014 → 2.0, 0xFE0000C8 → 2.00, 0x01000002 → 20, 0x00FFFB2E → -1234", () => {
    const table: [number, number][] = [
      [0x00000002, 2],
      [0xff000014, 2],
      [0xfe0000c8, 2],
      [0x01000002, 20],
      [0x02000002, 200],
      [0x000004d2, 1234],
      [0x00fffb2e, -1234],
    ];
    for (const [raw, want] of table) expect(readFloat(le32(raw), 0), raw.toString(16)).toBe(want);
  });

  it("special values (Zephyr sfloat.h, Wireshark): NaN, NRes, ±INFINITY and the reserved value are markers, not numbers", () => {
    expect(readSfloat(le16(0x07ff), 0)).toBe("NaN");
    expect(readSfloat(le16(0x0800), 0)).toBe("NRes");
    expect(readSfloat(le16(0x07fe), 0)).toBe("+INF");
    expect(readSfloat(le16(0x0802), 0)).toBe("-INF");
    expect(readSfloat(le16(0x0801), 0)).toBe("reserved");
    expect(readFloat(le32(0x007fffff), 0)).toBe("NaN");
    expect(readFloat(le32(0x00800000), 0)).toBe("NRes");
    expect(readFloat(le32(0x007ffffe), 0)).toBe("+INF");
    expect(readFloat(le32(0x00800002), 0)).toBe("-INF");
    expect(readFloat(le32(0x00800001), 0)).toBe("reserved");
    // Markers exist only with exponent 0: the same mantissa with exponent -1 is a number.
    expect(readSfloat(le16(0xf7ff), 0)).toBe(204.7);
    expect(readFloat(le32(0xff7fffff), 0)).toBe(838860.7);
  });

  it("a short value is FrameTruncated at the byte where the float starts", () => {
    expect(errorOf(() => readSfloat(b(0x01), 0))).toMatchObject({
      code: ErrorCode.FrameTruncated,
      offset: 0,
    });
    expect(errorOf(() => readFloat(b(1, 2, 3, 4, 5), 2))).toMatchObject({
      code: ErrorCode.FrameTruncated,
      offset: 2,
    });
  });
});

describe("Blood Pressure Measurement 0x2A35 (Nordic Android-BLE-Common-Library)", () => {
  it("onBloodPressureMeasurementReceived_full: all fields, year 0 (unknown) so no local time", () => {
    const m = decodeBloodPressure(h("1E 8A00 5800 7800 0000 04 11 14 29 3B 3C00 01 2700"));
    expect(m).toMatchObject({
      unit: "mmHg",
      systolic: 138,
      diastolic: 88,
      mean_arterial_pressure: 120,
      pulse_rate: 60,
      user_id: 1,
      status: {
        body_movement: true,
        cuff_too_loose: true,
        irregular_pulse: true,
        pulse_rate_range: "in_range",
        improper_position: true,
      },
      timestamp: { year: 0, month: 4, day: 17, hours: 20, minutes: 41, seconds: 59 },
      notes: [],
    });
    expect(m.timestamp?.local).toBeUndefined();
  });

  it("onBloodPressureMeasurementReceived_some: kPa, pulse, status 'below lower limit'", () => {
    const m = decodeBloodPressure(h("15 BDF0 0B00 9FF0 3C00 1200"));
    expect(m).toMatchObject({
      unit: "kPa",
      systolic: 18.9,
      diastolic: 11,
      mean_arterial_pressure: 15.9,
      pulse_rate: 60,
    });
    expect(m.user_id).toBeUndefined();
    expect(m.status).toEqual({
      body_movement: false,
      cuff_too_loose: true,
      irregular_pulse: false,
      pulse_rate_range: "below_lower_limit",
      improper_position: false,
    });
  });

  it("onBloodPressureMeasurementReceived_minimal: flags 0, three SFLOATs", () => {
    const m = decodeBloodPressure(h("00 BDF0 0B00 9FF0"));
    expect(m).toEqual({
      characteristic: "blood_pressure_measurement",
      uuid: "2a35",
      flags: 0,
      unit: "mmHg",
      systolic: 18.9,
      diastolic: 11,
      mean_arterial_pressure: 15.9,
      notes: [],
    });
  });

  it("onInvalidDataReceived_toShort and _noTimestamp: FrameTruncated naming the cut field", () => {
    expect(errorOf(() => decodeBloodPressure(b(1, 2, 3, 4, 5, 6)))).toMatchObject({
      code: ErrorCode.FrameTruncated,
      offset: 5,
      message: expect.stringMatching(/mean arterial pressure/),
    });
    expect(errorOf(() => decodeBloodPressure(b(3, 2, 3, 4, 5, 6, 7)))).toMatchObject({
      code: ErrorCode.FrameTruncated,
      offset: 7,
      message: expect.stringMatching(/time stamp/),
    });
  });
});

describe("Temperature Measurement 0x2A1C (Nordic Android-BLE-Common-Library)", () => {
  it("37.60 °C, 2012-12-05 11:50:27, finger", () => {
    const m = decodeTemperature(h("06 B00E00FE DC07 0C 05 0B 32 1B 04"));
    expect(m).toMatchObject({
      unit: "°C",
      temperature: 37.6,
      timestamp: { local: "2012-12-05T11:50:27" },
      temperature_type: { code: 4, name: "finger" },
      notes: [],
    });
  });

  it("the same without its type byte is FrameTruncated at byte 12", () => {
    expect(errorOf(() => decodeTemperature(h("06 B00E00FE DC07 0C 05 0B 32 1B")))).toMatchObject({
      code: ErrorCode.FrameTruncated,
      offset: 12,
    });
  });
});

describe("Weight Measurement 0x2A9D (bluetooth-sig-python test_weight_measurement.py)", () => {
  it("0x36B0 × 0.005 kg = 70 kg; 0x3D54 × 0.01 lb = 157 lb; with a time stamp", () => {
    expect(decodeWeight(h("00 B036"))).toMatchObject({ unit: "kg", weight: 70 });
    expect(decodeWeight(h("01 543D"))).toMatchObject({ unit: "lb", weight: 157 });
    expect(decodeWeight(h("02 B036 E707 0C 19 0E 1E 2D"))).toMatchObject({
      weight: 70,
      timestamp: { local: "2023-12-25T14:30:45" },
    });
  });

  it("imperial with every field: user 3, BMI 24.5, height 68.0 in (their flags 0x1F also set RFU bit 4: noted)", () => {
    const m = decodeWeight(h("1F 543D E707 0C 19 0E 1E 2D 03 F500 A802"));
    expect(m).toMatchObject({
      unit: "lb",
      weight: 157,
      user_id: 3,
      bmi: 24.5,
      height: 68,
      height_unit: "in",
    });
    expect(m.notes).toEqual(["reserved flag bits 0x10 set, ignored"]);
  });

  it("0xFFFF is 'Measurement Unsuccessful', never 327.675 kg", () => {
    expect(decodeWeight(h("00 FFFF")).weight).toBe("unsuccessful");
  });
});

describe("PLX 0x2A5E / 0x2A5F (SpeziBluetooth PLXTests.swift)", () => {
  it("testSpotCheckMeasurementCoding: 94 %, 147 bpm, 2024-11-29 23:08:57, statuses, PAI 8.7", () => {
    const m = decodePlxSpotCheck(
      b(15, 172, 243, 190, 245, 232, 7, 11, 29, 23, 8, 57, 32, 64, 34, 0, 0, 102, 227),
    );
    expect(m).toEqual({
      characteristic: "plx_spot_check_measurement",
      uuid: "2a5e",
      flags: 15,
      spo2: 94,
      pulse_rate: 147,
      device_clock_not_set: false,
      timestamp: {
        year: 2024,
        month: 11,
        day: 29,
        hours: 23,
        minutes: 8,
        seconds: 57,
        local: "2024-11-29T23:08:57",
      },
      measurement_status: ["measurement_ongoing", "questionable_measurement"],
      device_sensor_status: ["equipment_malfunction", "low_perfusion"],
      pulse_amplitude_index: 8.7,
      notes: [],
    });
  });

  it("testSimpleMeasurementCoding and testFullMeasurementCoding (continuous, fast and slow)", () => {
    expect(decodePlxContinuous(b(28, 95, 0, 90, 0, 32, 0, 0, 0, 0, 87, 240))).toMatchObject({
      spo2: 95,
      pulse_rate: 90,
      measurement_status: ["measurement_ongoing"],
      device_sensor_status: [],
      pulse_amplitude_index: 8.7,
    });
    const full = decodePlxContinuous(
      b(31, 222, 243, 202, 243, 202, 243, 90, 245, 212, 243, 178, 242, 32, 1, 0, 0, 0, 122, 227),
    );
    expect(full).toMatchObject({
      spo2: 99,
      pulse_rate: 97,
      fast: { spo2: 97, pulse_rate: 137 },
      slow: { spo2: 98, pulse_rate: 69 },
      measurement_status: ["measurement_ongoing", "fully_qualified_data"],
      pulse_amplitude_index: 8.9,
      notes: [],
    });
  });

  it("an SFLOAT with exponent nibble 8 is ×10^-8 (IEEE 11073 two's complement), as Spezi and Nordic read it", () => {
    // bluetooth-sig-python's test_plx_spot_check_measurement.py treats 0x8062 as 98 (a biased exponent);
    // IEEE 11073-20601 and the other sources here make it 98e-8. We follow the standard.
    expect(decodePlxSpotCheck(b(0x00, 0x62, 0x80, 0x48, 0x80)).spo2).toBeCloseTo(98e-8, 15);
  });
});

describe("characteristic names", () => {
  it("by 16-bit UUID, 0x form, 128-bit UUID and name", () => {
    expect(findCharacteristic("2a35")?.name).toBe("blood_pressure_measurement");
    expect(findCharacteristic("0x2A9D")?.name).toBe("weight_measurement");
    expect(findCharacteristic("00002a1c-0000-1000-8000-00805f9b34fb")?.name).toBe("temperature_measurement");
    expect(findCharacteristic("plx-spot-check-measurement")?.uuid16).toBe("2a5e");
    expect(findCharacteristic("2a18")).toBeUndefined();
  });
});

describe("A&D UA-651BLE examples (obniz parts library, src/parts/Ble/UA651BLE/index.ts comments)", () => {
  it("128 mmHg is 80 00; 17.6 kPa is B0 F0; 2013/8/26 9:10:20 is DD 07 08 1A 09 0A 14", () => {
    const mmHg = decodeBloodPressure(h("06 8000 5000 6000 DD07081A090A14 4800"));
    expect(mmHg).toMatchObject({
      unit: "mmHg",
      systolic: 128,
      diastolic: 80,
      mean_arterial_pressure: 96,
      pulse_rate: 72,
      timestamp: { local: "2013-08-26T09:10:20" },
    });
    expect(decodeBloodPressure(h("01 B0F0 6AF0 8DF0")).systolic).toBe(17.6);
  });
});
