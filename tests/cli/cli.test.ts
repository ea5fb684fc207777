import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.js";
import { hearthSync } from "../helpers/cli.js";

const fixtures = join(packageRoot(), "tests/fixtures/config");

const hearth = hearthSync;

describe("hearth (the command)", () => {
  it("exits 2 on wrong usage and 0 on --help", () => {
    expect(hearth(["no-such-command"]).code).toBe(2);
    expect(hearth(["run"]).code).toBe(2); // --config is required
    const alpha = hearth(["eval", "--alpha", "2", "--homes", "1", "--tuning-homes", "0"]);
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toContain("--alpha 2");
    expect(hearth(["eval", "--max-silence-day", "soon", "--homes", "1"]).code).toBe(2);
    expect(hearth(["--help"]).code).toBe(0);
  });

  it("validate: lists every problem of a bad config with path and line, exit 1; a good one exits 0 with JSON", () => {
    const bad = hearth(["validate", join(fixtures, "many-mistakes.yaml")]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    for (const path of [
      "home.id",
      "home.timezone",
      "cloud.brokers[0].url",
      "cloud.brokers[0].mqtt_version",
      "devices[1].mac",
      "devices[1].colour",
      "detection.max_silence_day",
    ]) {
      expect(bad.stderr).toContain(`: ${path}: found`);
    }
    expect(bad.stderr).toMatch(/many-mistakes\.yaml:3:\d+: home\.id: found "home 1"/);
    const notYaml = hearth(["validate", join(fixtures, "not-yaml.yaml")]);
    expect(notYaml.code).toBe(1);
    expect(notYaml.stderr).toMatch(/not-yaml\.yaml:\d+:\d+: not valid YAML/);
  });

  it("run: refuses a bad config with every problem and exit 1, before touching anything", () => {
    const r = hearth(["run", "--config", join(fixtures, "many-mistakes.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stderr.match(/: found /g)?.length).toBeGreaterThanOrEqual(7);
  });

  it("schemas --check: the committed JSON Schemas are the generated ones", () => {
    const r = hearth(["schemas", "--check"]);
    expect(r.stderr).toContain("schemas up to date");
    expect(r.code).toBe(0);
  });

  it("decode: a good frame is one JSON object; a bad one exits 1 saying what and where", () => {
    const ok = hearth(["decode", "modbus", "01 04 00 00 00 02 71 CB"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      protocol: "modbus",
      kind: "request",
      fields: { unit: 1, function: 4, address: 0, quantity: 2 },
    });
    const bad = hearth(["decode", "modbus", "01 04 00 00 00 02 71 CC"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/CRC.*byte 6/);
  });

  it("decode -: one JSON line per frame, a bad line reported by number, exit 1 at the end", () => {
    const r = hearth(
      ["decode", "modbus", "-"],
      "01 04 00 00 00 02 71 CB\nnot hex\n01 04 00 00 00 02 71 CB\n",
    );
    expect(r.code).toBe(1);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ protocol: "modbus" });
    expect(lines[1]).toMatchObject({ line: 2 });
    expect(typeof lines[1]?.error).toBe("string");
    expect(lines[2]).toMatchObject({ protocol: "modbus" });
  });

  it("status: says no agent is running, exit 1", () => {
    const r = hearth(["status", "--state-dir", "/nonexistent-hearth"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no agent is running/);
  });
});
