/** Property tests of the GATT health codecs: floats bit by bit, measurements encode → decode, bad bytes. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHARACTERISTICS } from "../../../drivers/gatt-health/characteristics.js";
import {
  encodeBloodPressure,
  encodePlxContinuous,
  encodePlxSpotCheck,
  encodeTemperature,
  encodeWeight,
  type MedInput,
} from "../../../drivers/gatt-health/encode.js";
import {
  floatBits,
  type MedSpecial,
  readFloat,
  readSfloat,
  scaled,
  sfloatBits,
} from "../../../drivers/gatt-health/ieee11073.js";
import {
  decodeBloodPressure,
  decodePlxContinuous,
  decodePlxSpotCheck,
  decodeTemperature,
  decodeWeight,
  PLX_DEVICE_SENSOR_STATUS,
  PLX_MEASUREMENT_STATUS,
} from "../../../drivers/gatt-health/measurements.js";
import { ErrorCode, isHearthError } from "../../../src/core/errors.js";

const SPECIALS: MedSpecial[] = ["NaN", "NRes", "+INF", "-INF", "reserved"];
const SFLOAT_MARKERS = new Set([0x07ff, 0x0800, 0x07fe, 0x0802, 0x0801]);

const sfloatParts = fc.record({
  mantissa: fc.integer({ min: -2045, max: 2045 }),
  exponent: fc.integer({ min: -8, max: 7 }),
});
const medSfloat: fc.Arbitrary<MedInput> = fc.oneof(sfloatParts, fc.constantFrom(...SPECIALS));
const expected = (v: MedInput) => (typeof v === "object" ? scaled(v.mantissa, v.exponent) : v);
const dateTime = fc.record({
  year: fc.integer({ min: 0, max: 9999 }),
  month: fc.integer({ min: 0, max: 12 }),
  day: fc.integer({ min: 0, max: 31 }),
  hours: fc.integer({ min: 0, max: 23 }),
  minutes: fc.integer({ min: 0, max: 59 }),
  seconds: fc.integer({ min: 0, max: 59 }),
});
const le16 = (v: number) => Uint8Array.from([v & 0xff, v >> 8]);

describe("SFLOAT / FLOAT", () => {
  it("every 16-bit pattern: a marker exactly for the five reserved patterns, else mantissa × 10^exponent", () => {
    const wrong: string[] = [];
    for (let raw = 0; raw <= 0xffff; raw++) {
      const v = readSfloat(le16(raw), 0);
      if (SFLOAT_MARKERS.has(raw)) {
        if (typeof v !== "string") wrong.push(`${raw.toString(16)} → ${v}`);
        continue;
      }
      const m = raw & 0xfff;
      const e = raw >> 12;
      const want = (m >= 0x800 ? m - 0x1000 : m) * 10 ** (e >= 8 ? e - 16 : e);
      if (typeof v !== "number" || Math.abs(v - want) > Math.abs(want) * 1e-12)
        wrong.push(`${raw.toString(16)} → ${v}`);
    }
    expect(wrong).toEqual([]);
  });

  it("sfloatBits → readSfloat gives back the parts' value or the marker", () => {
    fc.assert(
      fc.property(medSfloat, (v) => {
        if (typeof v === "number") return;
        expect(readSfloat(le16(sfloatBits(v)), 0)).toBe(expected(v));
      }),
    );
  });

  it("floatBits → readFloat likewise over the whole 24-bit mantissa and 8-bit exponent", () => {
    const parts = fc.record({
      mantissa: fc.integer({ min: -8388605, max: 8388605 }),
      exponent: fc.integer({ min: -20, max: 20 }),
    });
    fc.assert(
      fc.property(fc.oneof(parts, fc.constantFrom(...SPECIALS)), (v) => {
        const bits = floatBits(v);
        const bytes = Uint8Array.from([bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, bits >>> 24]);
        const got = readFloat(bytes, 0);
        if (typeof v === "string") expect(got).toBe(v);
        else expect(got as number).toBeCloseTo(scaled(v.mantissa, v.exponent), 10);
      }),
    );
  });
});

describe("measurements encode → decode, every flag combination", () => {
  it("Blood Pressure", () => {
    const status = fc.record({
      bodyMovement: fc.boolean(),
      cuffTooLoose: fc.boolean(),
      irregularPulse: fc.boolean(),
      pulseRateRange: fc.constantFrom(
        "in_range",
        "above_upper_limit",
        "below_lower_limit",
        "reserved" as const,
      ),
      improperPosition: fc.boolean(),
    });
    const input = fc.record(
      {
        kPa: fc.boolean(),
        systolic: medSfloat,
        diastolic: medSfloat,
        meanArterialPressure: medSfloat,
        timestamp: dateTime,
        pulseRate: medSfloat,
        userId: fc.integer({ min: 0, max: 255 }),
        status,
      },
      { requiredKeys: ["systolic", "diastolic", "meanArterialPressure"] },
    );
    fc.assert(
      fc.property(input, (i) => {
        const m = decodeBloodPressure(encodeBloodPressure(i));
        expect(m.unit).toBe(i.kPa ? "kPa" : "mmHg");
        expect(m.systolic).toBe(expected(i.systolic));
        expect(m.diastolic).toBe(expected(i.diastolic));
        expect(m.mean_arterial_pressure).toBe(expected(i.meanArterialPressure));
        expect(m.pulse_rate).toBe(i.pulseRate === undefined ? undefined : expected(i.pulseRate));
        expect(m.user_id).toBe(i.userId);
        expect(m.timestamp && { ...m.timestamp, local: undefined }).toEqual(
          i.timestamp && { ...i.timestamp, local: undefined },
        );
        expect(m.status?.pulse_rate_range).toBe(i.status?.pulseRateRange);
        expect(m.status?.cuff_too_loose).toBe(i.status?.cuffTooLoose);
        expect(m.notes).toEqual([]);
      }),
    );
  });

  it("Weight (0.005 kg / 0.01 lb steps; BMI and height together)", () => {
    const input = fc.record(
      {
        imperial: fc.boolean(),
        rawWeight: fc.integer({ min: 0, max: 0xffff }),
        timestamp: dateTime,
        userId: fc.integer({ min: 0, max: 255 }),
        bmiHeight: fc.record({
          rawBmi: fc.integer({ min: 0, max: 0xffff }),
          rawHeight: fc.integer({ min: 0, max: 0xffff }),
        }),
      },
      { requiredKeys: ["rawWeight"] },
    );
    fc.assert(
      fc.property(input, (i) => {
        const m = decodeWeight(encodeWeight(i));
        if (i.rawWeight === 0xffff) expect(m.weight).toBe("unsuccessful");
        else expect(m.weight as number).toBeCloseTo(i.rawWeight * (i.imperial ? 0.01 : 0.005), 9);
        expect(m.user_id).toBe(i.userId);
        expect(m.bmi).toBe(i.bmiHeight ? i.bmiHeight.rawBmi / 10 : undefined);
        expect(m.height_unit).toBe(i.bmiHeight ? (i.imperial ? "in" : "m") : undefined);
      }),
    );
  });

  it("Temperature (FLOAT, °C/°F, type)", () => {
    const floatParts = fc.record({
      mantissa: fc.integer({ min: -8388605, max: 8388605 }),
      exponent: fc.integer({ min: -5, max: 5 }),
    });
    const input = fc.record(
      {
        fahrenheit: fc.boolean(),
        temperature: fc.oneof(floatParts, fc.constantFrom(...SPECIALS)),
        timestamp: dateTime,
        type: fc.integer({ min: 0, max: 255 }),
      },
      { requiredKeys: ["temperature"] },
    );
    fc.assert(
      fc.property(input, (i) => {
        const m = decodeTemperature(encodeTemperature(i));
        expect(m.unit).toBe(i.fahrenheit ? "°F" : "°C");
        if (typeof i.temperature === "string") expect(m.temperature).toBe(i.temperature);
        else expect(m.temperature as number).toBeCloseTo(expected(i.temperature) as number, 6);
        expect(m.temperature_type?.code).toBe(i.type);
      }),
    );
  });

  it("PLX spot-check and continuous", () => {
    const names = (t: readonly (string | undefined)[]) =>
      fc.subarray(t.filter((x): x is string => x !== undefined));
    const tail = {
      measurementStatus: names(PLX_MEASUREMENT_STATUS),
      deviceSensorStatus: names(PLX_DEVICE_SENSOR_STATUS),
      pulseAmplitudeIndex: medSfloat,
    };
    const spot = fc.record(
      { spo2: medSfloat, pulseRate: medSfloat, timestamp: dateTime, clockNotSet: fc.boolean(), ...tail },
      { requiredKeys: ["spo2", "pulseRate"] },
    );
    fc.assert(
      fc.property(spot, (i) => {
        const m = decodePlxSpotCheck(encodePlxSpotCheck(i));
        expect([m.spo2, m.pulse_rate]).toEqual([expected(i.spo2), expected(i.pulseRate)]);
        expect(m.device_clock_not_set).toBe(i.clockNotSet === true);
        expect(m.measurement_status).toEqual(i.measurementStatus);
        expect(m.device_sensor_status).toEqual(i.deviceSensorStatus);
        expect(m.pulse_amplitude_index).toBe(
          i.pulseAmplitudeIndex === undefined ? undefined : expected(i.pulseAmplitudeIndex),
        );
      }),
    );
    const pair = fc.tuple(medSfloat, medSfloat);
    const cont = fc.record(
      { spo2: medSfloat, pulseRate: medSfloat, fast: pair, slow: pair, ...tail },
      { requiredKeys: ["spo2", "pulseRate"] },
    );
    fc.assert(
      fc.property(cont, (i) => {
        const m = decodePlxContinuous(encodePlxContinuous(i));
        expect(m.fast && [m.fast.spo2, m.fast.pulse_rate]).toEqual(i.fast?.map(expected));
        expect(m.slow && [m.slow.spo2, m.slow.pulse_rate]).toEqual(i.slow?.map(expected));
        expect(m.measurement_status).toEqual(i.measurementStatus);
      }),
    );
  });
});

describe("bad bytes", () => {
  it("any bytes to any characteristic: a measurement or a HearthError Frame*, never another throw", () => {
    fc.assert(
      fc.property(fc.constantFrom(...CHARACTERISTICS), fc.uint8Array({ maxLength: 40 }), (c, bytes) => {
        try {
          c.decode(bytes);
        } catch (e) {
          expect(isHearthError(e, ErrorCode.FrameTruncated)).toBe(true);
        }
      }),
    );
  });

  it("every strict prefix of a valid value is FrameTruncated (no field is read past the end)", () => {
    const full = encodeBloodPressure({
      systolic: 120,
      diastolic: 80,
      meanArterialPressure: 93,
      timestamp: { year: 2026, month: 12, day: 7, hours: 8, minutes: 30, seconds: 0 },
      pulseRate: 64,
      userId: 1,
      status: {},
    });
    for (let n = 0; n < full.length; n++) {
      let code: number | undefined;
      try {
        decodeBloodPressure(full.subarray(0, n));
      } catch (e) {
        code = isHearthError(e) ? e.code : -1;
      }
      expect(code, `prefix of ${n} bytes`).toBe(ErrorCode.FrameTruncated);
    }
    expect(decodeBloodPressure(full).systolic).toBe(120);
  });
});
