import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load.js";
import { CHANNELS } from "../../src/core/channels.js";
import { packageRoot } from "../../src/core/paths.js";
import { formatProblem, type Problem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";

describe("device profile catalogue", () => {
  const cat = loadCatalogue();

  it("loads every profile in device-profiles/ without a problem", () => {
    expect(cat.problems.map(formatProblem)).toEqual([]);
    expect(cat.profiles.size).toBeGreaterThanOrEqual(3);
  });

  it("has the models this product ships with", () => {
    for (const id of [
      "eastron-sdm120",
      "shelly-blu-button1",
      "shelly-blu-door-window",
      "shelly-blu-motion",
      "generic-bthome-motion",
      "generic-bthome-presence",
    ])
      expect(cat.profiles.has(id), id).toBe(true);
    expect([...cat.profiles.values()].some((p) => p.kind === "water_meter")).toBe(true);
  });

  it("cites a source for every profile and uses each channel's unit", () => {
    for (const p of cat.profiles.values()) {
      expect(p.source.length, `${p.id} source`).toBeGreaterThan(10);
      if (p.protocol === "modbus") {
        for (const r of p.modbus.registers)
          if (r.channel) expect(r.unit, `${p.id}.${r.name}`).toBe(CHANNELS[r.channel].unit);
      }
    }
  });

  it("refuses a wrong profile with the file and field named", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-profiles-"));
    writeFileSync(
      join(dir, "bad-meter.yaml"),
      [
        "id: bad-meter",
        "version: 1",
        "manufacturer: X",
        "model: Y",
        "description: a broken profile",
        "kind: electricity_meter",
        "source: none",
        "protocol: modbus",
        "modbus:",
        "  registers:",
        "    - { name: power, table: input, address: 12, type: float33, unit: W, channel: power_w }",
        "    - { name: energy, table: input, address: 0x0156, type: float32, unit: Wh, channel: energy_total_kwh }",
        "    - { name: volts, table: input, address: 0x0157, type: float32, unit: V, channel: voltage_v }",
        "    - { name: amps, table: input, address: 0x0006, type: float32, channel: current_a }",
      ].join("\n"),
    );
    const bad = loadCatalogue(dir);
    const lines = bad.problems.map(formatProblem).join("\n");
    expect(bad.profiles.size).toBe(0);
    expect(lines).toMatch(
      /bad-meter\.yaml:11:\d+: modbus\.registers\[0\]\.type: found "float33", expected one of/,
    );
    expect(lines).toMatch(/modbus\.registers\[3\]\.unit: found nothing, expected string/);
  });

  it("reports overlapping registers and units that do not fit the channel", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-profiles-"));
    writeFileSync(
      join(dir, "overlap.yaml"),
      [
        "id: overlap",
        "version: 1",
        "manufacturer: X",
        "model: Y",
        "description: overlapping registers",
        "kind: electricity_meter",
        "source: none",
        "protocol: modbus",
        "modbus:",
        "  registers:",
        "    - { name: energy, table: input, address: 0x0156, type: float32, unit: Wh, channel: energy_total_kwh }",
        "    - { name: volts, table: input, address: 0x0157, type: float32, unit: V, channel: voltage_v }",
      ].join("\n"),
    );
    const lines = loadCatalogue(dir).problems.map(formatProblem).join("\n");
    expect(lines).toMatch(
      /modbus\.registers\[0\]\.unit: found "Wh", expected "kWh" for channel energy_total_kwh/,
    );
    expect(lines).toMatch(
      /modbus\.registers\[1\]\.address: found volts at 343\.\.344, expected no overlap with energy at 342\.\.343/,
    );
  });

  it("accepts the commented example config of deploy/", () => {
    // A config with keys must not be world-readable: check a private copy, as an installer would place it.
    const file = join(mkdtempSync(join(tmpdir(), "hearth-example-")), "home.yaml");
    writeFileSync(file, readFileSync(join(packageRoot(), "deploy/hearth.example.yaml")), { mode: 0o600 });
    const r = loadConfigFile(file, cat.profiles);
    expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([]);
  });
});

describe("config file permissions", () => {
  it("refuses a world-readable config that holds a key", () => {
    const file = join(mkdtempSync(join(tmpdir(), "hearth-perm-")), "home.yaml");
    writeFileSync(file, readFileSync(join(packageRoot(), "deploy/hearth.example.yaml")), { mode: 0o644 });
    const r = loadConfigFile(file, loadCatalogue().profiles);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : formatProblem(r.problems[0] as Problem)).toMatch(
      /mode 644 \(anyone can read the keys in it\), expected a file not world-readable \(chmod 600/,
    );
  });
});
