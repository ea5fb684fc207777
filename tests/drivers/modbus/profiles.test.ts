import { describe, expect, it } from "vitest";
import { decodeValue, encodeValue, registerWords } from "../../../drivers/modbus/values.js";
import { CHANNELS } from "../../../src/core/channels.js";
import { formatProblem } from "../../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";

const OURS = [
  "eastron-sdm120",
  "eastron-sdm630",
  "chint-ddsu666",
  "chint-dtsu666",
  "generic-modbus-water",
  "acrel-ddsd1352",
];

describe("Modbus profile catalogue", () => {
  const cat = loadCatalogue();

  it("loads every Modbus profile without problems", () => {
    const ours = cat.problems.filter((p) => OURS.some((id) => p.file.endsWith(`${id}.yaml`)));
    expect(ours.map(formatProblem)).toEqual([]);
    for (const id of OURS) expect(cat.profiles.get(id)?.protocol).toBe("modbus");
  });

  it("each profile cites its source, feeds the channels of its kind with their units, and round-trips values", () => {
    for (const id of OURS) {
      const p = cat.profiles.get(id);
      if (p?.protocol !== "modbus") throw new Error(id);
      expect(p.source.length).toBeGreaterThan(40);
      const channels = p.modbus.registers.flatMap((r) => (r.channel ? [r.channel] : []));
      expect(new Set(channels).size).toBe(channels.length);
      for (const r of p.modbus.registers) {
        if (r.channel) expect(r.unit).toBe(CHANNELS[r.channel].unit);
        expect(r.address + registerWords(r.type)).toBeLessThanOrEqual(0x10000);
        // The simulator's encoding is what the driver decodes (a value an s16 at × 0.001 can hold).
        const v = r.scale < 0.01 ? 12.3 : 123;
        expect(decodeValue(r, encodeValue(r, v))).toBeCloseTo(v, 2);
      }
      if (p.kind === "electricity_meter")
        expect(channels).toEqual(expect.arrayContaining(["energy_total_kwh", "power_w"]));
      if (p.kind === "water_meter") expect(channels).toContain("water_total_m3");
    }
  });
});
