/**
 * `hearth decode gatt <characteristic> <hex>` as the installer runs it: the built CLI, spawned.
 * Vectors: Nordic Android-BLE-Common-Library (BloodPressureMeasurementDataCallbackTest,
 * TemperatureMeasurementDataCallbackTest), bluetooth-sig-python test_weight_measurement.py.
 */
import { describe, expect, it } from "vitest";
import { hearthSync as hearth } from "../helpers/cli.js";

describe("hearth decode gatt", () => {
  it("2a35 by UUID → the Nordic 'full' vector as JSON, notes last, exit 0", () => {
    const r = hearth(["decode", "gatt", "2a35", "1E 8A00 5800 7800 0000 04 11 14 29 3B 3C00 01 2700"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ systolic: 138, diastolic: 88, pulse_rate: 60, user_id: 1, unit: "mmHg" });
    expect(Object.keys(out).at(-1)).toBe("notes");
  });

  it("by name, and a value cut short → exit 1 naming the field and byte", () => {
    const ok = hearth(["decode", "gatt", "temperature_measurement", "06B00E00FEDC070C050B321B04"]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ temperature: 37.6, temperature_type: { name: "finger" } });
    const cut = hearth(["decode", "gatt", "2a1c", "06B00E00FEDC070C050B321B"]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toBe("");
    expect(cut.stderr).toMatch(/temperature type needs 1 byte at byte 12/);
  });

  it("an unknown characteristic or a missing value is a usage error (exit 2) listing the known ones", () => {
    const unknown = hearth(["decode", "gatt", "2a18", "00"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/2a35 blood_pressure_measurement/);
    expect(hearth(["decode", "gatt", "2a35"]).code).toBe(2);
    expect(hearth(["decode", "bthome", "40", "extra"]).code).toBe(2);
  });

  it("'-' decodes one value per line; a bad line is reported and the run exits 1", () => {
    const r = hearth(["decode", "gatt", "weight_measurement", "-"], "00B036\n# comment\n00B0\n01543D\n");
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ weight: 70, unit: "kg" });
    expect(lines[1]).toMatchObject({ line: 3, error: expect.stringMatching(/weight needs 2 bytes/) });
    expect(lines[2]).toMatchObject({ weight: 157, unit: "lb" });
    expect(r.code).toBe(1);
  });
});
