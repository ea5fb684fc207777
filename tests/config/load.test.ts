import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile, parseConfig } from "../../src/config/load.js";
import { ErrorCode } from "../../src/core/errors.js";
import { HOUR_MS, SECOND_MS } from "../../src/core/time.js";
import { formatProblem, type Problem } from "../../src/core/yaml-validate.js";
import { type DeviceProfile, deviceProfile } from "../../src/profiles/schema.js";
import { hearthSync } from "../helpers/cli.js";

const fixtures = join(import.meta.dirname, "../fixtures/config");

// Minimal stand-in profiles (through the real schema, so defaults fill in), so these tests do not
// depend on the catalogue's contents.
const profiles = new Map<string, DeviceProfile>(
  [
    {
      id: "eastron-sdm120",
      version: 1,
      manufacturer: "Eastron",
      model: "SDM120",
      description: "test",
      kind: "electricity_meter",
      source: "test",
      protocol: "modbus",
      serial: { baud: 9600 },
      modbus: {
        registers: [
          { name: "power", table: "input", address: 12, type: "float32", unit: "W", channel: "power_w" },
        ],
      },
    },
    {
      id: "shelly-blu-button1",
      version: 1,
      manufacturer: "Shelly",
      model: "BLU Button1",
      description: "test",
      kind: "button",
      source: "test",
      protocol: "bthome",
      bthome: { advertising_interval_s: 60 },
    },
  ].map((p) => [p.id, deviceProfile.parse(p)]),
);

describe("gateway config", () => {
  it("accepts a good file and applies defaults", () => {
    const r = loadConfigFile(join(fixtures, "good.yaml"), profiles);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.home.timezone).toBe("Asia/Shanghai");
    expect(r.value.detection.max_silence_day).toBe(3 * HOUR_MS);
    expect(r.value.detection.max_silence_night).toBe(12 * HOUR_MS);
    expect(r.value.detection.sleep_window).toEqual({ start: 22 * 60 + 30, end: 6 * 60 + 30 });
    expect(r.value.cloud.brokers[0]?.mqtt_version).toBe("5");
    expect(r.value.outbox.max_size_mb).toBe(64);
  });

  it("lists every mistake with its path, line, what was found and what was expected", () => {
    const r = loadConfigFile(join(fixtures, "many-mistakes.yaml"), profiles);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(ErrorCode.ConfigInvalid);
    const byPath = new Map(r.problems.map((p) => [p.path, p]));
    expect([...byPath.keys()].sort()).toEqual(
      [
        "cloud.brokers[0].mqtt_version",
        "cloud.brokers[0].url",
        "detection.max_silence_day",
        "devices[1].colour",
        "devices[1].mac",
        "home.id",
        "home.timezone",
      ].sort(),
    );
    expect(byPath.get("home.id")?.line).toBe(3);
    expect(byPath.get("home.timezone")?.line).toBe(4);
    expect(byPath.get("cloud.brokers[0].url")?.line).toBe(7);
    expect(byPath.get("devices[1].colour")?.line).toBe(16);
    expect(byPath.get("devices[1].mac")?.found).toBe('"not-a-mac"');
    expect(formatProblem(byPath.get("home.id") as Problem)).toMatch(
      /many-mistakes\.yaml:3:\d+: home\.id: found "home 1", expected/,
    );
  });

  it("reports cross-check problems: unknown profile with a suggestion, missing protocol keys, duplicate ids", () => {
    const text = [
      "version: 1",
      "home: { id: h1 }",
      "cloud: { brokers: [ { url: 'mqtt://127.0.0.1:1883' } ] }",
      "devices:",
      "  - { id: meter-1, profile: eastron-sdm12, port: /dev/ttyUSB0, unit_id: 1 }",
      "  - { id: meter-1, profile: eastron-sdm120, port: /dev/ttyUSB0 }",
      "  - { id: button-1, profile: shelly-blu-button1, mac: 'AA:BB:CC:DD:EE:FF', unit_id: 3 }",
    ].join("\n");
    const r = parseConfig(text, "home.yaml", profiles);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.problems.map(formatProblem);
    expect(
      lines.some((l) =>
        /devices\[0\]\.profile: found "eastron-sdm12", expected a known profile \(did you mean "eastron-sdm120"\?\)/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(lines.some((l) => /devices\[1\]\.id: found "meter-1"/.test(l))).toBe(true);
    expect(lines.some((l) => /devices\[1\]\.unit_id: found nothing, expected unit_id/.test(l))).toBe(true);
    expect(
      lines.some((l) => /devices\[2\]\.unit_id: .*expected no unit_id for a bthome device/.test(l)),
    ).toBe(true);
  });

  it("refuses two settings on one RS-485 line", () => {
    const text = [
      "version: 1",
      "home: { id: h1 }",
      "cloud: { brokers: [ { url: 'mqtt://127.0.0.1:1883' } ] }",
      "devices:",
      "  - { id: m1, profile: eastron-sdm120, port: /dev/ttyUSB0, unit_id: 1 }",
      "  - { id: m2, profile: eastron-sdm120, port: /dev/ttyUSB0, unit_id: 2, baud: 2400 }",
    ].join("\n");
    const r = parseConfig(text, "home.yaml", profiles);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem).join("\n")).toMatch(
      /devices\[1\]\.baud: found 2400 baud, parity none on \/dev\/ttyUSB0, expected the same settings/,
    );
  });

  it("says a file that is not YAML is not YAML, with the line", () => {
    const r = loadConfigFile(join(fixtures, "not-yaml.yaml"), profiles);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]?.message).toMatch(/^not valid YAML/);
    expect(r.problems[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it("says a missing file cannot be read", () => {
    const r = loadConfigFile(join(fixtures, "nope.yaml"), profiles);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe(ErrorCode.ConfigNotFound);
    expect(r.problems[0]?.message).toMatch(/cannot read the config file/);
  });

  it("gives each device of a valid config its profile's protocol and only that protocol's keys", () => {
    const text = [
      "version: 1",
      "home: { id: h1 }",
      "cloud: { brokers: [ { url: 'mqtt://127.0.0.1:1883' } ] }",
      "devices:",
      "  - { id: meter-1, profile: eastron-sdm120, port: /dev/ttyUSB0, unit_id: 1, poll: 30s }",
      "  - { id: button-1, profile: shelly-blu-button1, mac: 'AA:BB:CC:DD:EE:FF', adapter: hci1, insecure: true }",
    ].join("\n");
    const r = parseConfig(text, "home.yaml", profiles);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    expect(r.value.devices).toEqual([
      {
        protocol: "modbus",
        id: "meter-1",
        profile: "eastron-sdm120",
        port: "/dev/ttyUSB0",
        unit_id: 1,
        poll: 30 * SECOND_MS,
      },
      {
        protocol: "bthome",
        id: "button-1",
        profile: "shelly-blu-button1",
        mac: "AA:BB:CC:DD:EE:FF",
        adapter: "hci1",
        insecure: true,
      },
    ]);
    const [meter, button] = r.value.devices;
    // The types say it too: a Modbus entry has its port and unit id, a BTHome entry its MAC.
    if (meter?.protocol === "modbus") expect([meter.port, meter.unit_id]).toEqual(["/dev/ttyUSB0", 1]);
    if (button?.protocol === "bthome") expect(button.mac).toBe("AA:BB:CC:DD:EE:FF");
  });
});

// A bind key is a secret: no part of it may reach a problem, whatever is wrong with it (issue 9).
describe("a bind key is never echoed", () => {
  // 32 hex digits with one typo (the "g"): 31 of them are the real key.
  const TYPO_KEY = "3a5f09c2b1d84e7f6a0c9b2e4d1f8a7g";
  const NUMBER_KEY = "12345678901234567890123456789012";
  /** Every run of 8 characters of the key: none may appear in what is printed. */
  const runsOf = (key: string) => Array.from({ length: key.length - 7 }, (_, i) => key.slice(i, i + 8));
  const expectNoRun = (text: string, key: string) => {
    for (const run of runsOf(key)) expect(text, `contains ${run}`).not.toContain(run);
  };
  const config = (device: string) =>
    [
      "version: 1",
      "home: { id: h1 }",
      "cloud: { brokers: [ { url: 'mqtt://127.0.0.1:1883' } ] }",
      "devices:",
      `  - ${device}`,
    ].join("\n");
  const problemText = (problems: Problem[]) =>
    problems.map((p) => `${formatProblem(p)}\n${JSON.stringify(p)}`).join("\n");

  it.each([
    ["a key with one typo", `'${TYPO_KEY}'`, TYPO_KEY, /32 characters, not 32 hex digits/],
    [
      "a key one digit short",
      `'${TYPO_KEY.slice(0, 31).replace("7", "0")}'`,
      TYPO_KEY.slice(0, 31),
      /31 characters/,
    ],
    ["a key YAML reads as a number", NUMBER_KEY, NUMBER_KEY, /a number, not 32 hex digits/],
  ])("%s: its length and what is wrong, not its digits", (_name, yamlValue, key, says) => {
    const r = parseConfig(
      config(`{ id: button-1, profile: shelly-blu-button1, mac: 'AA:BB:CC:DD:EE:FF', key: ${yamlValue} }`),
      "home.yaml",
      profiles,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const keyProblem = r.problems.find((p) => p.path === "devices[0].key");
    expect(keyProblem).toBeDefined();
    expect(formatProblem(keyProblem as Problem)).toMatch(says);
    expectNoRun(problemText(r.problems), key);
  });

  it("a key on a device whose protocol takes none: named, not shown", () => {
    const key = TYPO_KEY.replace("g", "0");
    const r = parseConfig(
      config(`{ id: meter-1, profile: eastron-sdm120, port: /dev/ttyUSB0, unit_id: 1, key: '${key}' }`),
      "home.yaml",
      profiles,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = problemText(r.problems);
    expect(text).toMatch(/devices\[0\]\.key: .*expected no key for a modbus device/);
    expectNoRun(text, key);
  });

  it("hearth validate prints no part of a malformed key", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-key-"));
    try {
      const file = join(dir, "home.yaml");
      writeFileSync(
        file,
        config(`{ id: button-1, profile: shelly-blu-button1, mac: 'AA:BB:CC:DD:EE:FF', key: '${TYPO_KEY}' }`),
      );
      chmodSync(file, 0o600);
      const r = hearthSync(["validate", file]);
      expect(r.code).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/devices\[0\]\.key/);
      expectNoRun(`${r.stdout}\n${r.stderr}`, TYPO_KEY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
