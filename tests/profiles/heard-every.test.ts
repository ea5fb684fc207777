import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue, parseProfile } from "../../src/profiles/catalogue.js";

/** A profile's `heard_every` (how often a self-reporting device is heard when well) and its config override. */
function z2mProfile(heardEvery: string): string {
  return [
    "id: test-button",
    "version: 1",
    "manufacturer: X",
    "model: Y",
    "description: a Zigbee button",
    "kind: button",
    "source: a test",
    `heard_every: ${heardEvery}`,
    "protocol: zigbee2mqtt",
    "zigbee2mqtt: { exposes: { battery: battery_pct } }",
  ].join("\n");
}

function bthomeProfile(heardEvery: string): string {
  return [
    "id: test-ble",
    "version: 1",
    "manufacturer: X",
    "model: Y",
    "description: a BLE button",
    "kind: button",
    "source: a test",
    `heard_every: ${heardEvery}`,
    "protocol: bthome",
    "bthome: { advertising_interval_s: 60 }",
  ].join("\n");
}

const problemsOf = (r: ReturnType<typeof parseProfile>) => (r.ok ? [] : r.problems.map(formatProblem));

describe("heard_every in a device profile", () => {
  it("takes a duration (milliseconds out) or on_change", () => {
    const hourly = parseProfile(z2mProfile("55m"), "test-button.yaml");
    expect(hourly.ok && "heard_every" in hourly.value && hourly.value.heard_every).toBe(55 * MINUTE_MS);
    const onChange = parseProfile(z2mProfile("on_change"), "test-button.yaml");
    expect(onChange.ok && "heard_every" in onChange.value && onChange.value.heard_every).toBe("on_change");
  });

  it("refuses a value that is neither, naming the field, its line and what is expected", () => {
    for (const bad of ["hourly", "on-change", '"55 min"', "0s"]) {
      const problems = problemsOf(parseProfile(z2mProfile(bad), "test-button.yaml"));
      expect(problems, bad).toHaveLength(1);
      expect(problems[0], bad).toMatch(/^test-button\.yaml:8:\d+: heard_every: /);
      expect(problems[0], bad).toMatch(
        bad === "0s" ? /longer than 0/ : /a duration such as "55m".*or on_change/,
      );
    }
  });

  it("refuses it on a meter Hearth polls", () => {
    const meter = [
      "id: test-meter",
      "version: 1",
      "manufacturer: X",
      "model: Y",
      "description: a meter",
      "kind: electricity_meter",
      "source: a test",
      "heard_every: 1h",
      "protocol: modbus",
      "modbus: { registers: [ { name: p, table: input, address: 0, type: float32, unit: W, channel: power_w } ] }",
    ].join("\n");
    const problems = problemsOf(parseProfile(meter, "test-meter.yaml"));
    expect(problems.join("\n")).toContain("heard_every");
  });

  it("a BTHome profile's is a duration no shorter than its beacon: its receiver watches the beacon", () => {
    expect(problemsOf(parseProfile(bthomeProfile("1m"), "test-ble.yaml"))).toEqual([]);
    for (const bad of ["on_change", "30s"]) {
      const problems = problemsOf(parseProfile(bthomeProfile(bad), "test-ble.yaml"));
      expect(problems, bad).toHaveLength(1);
      expect(problems[0], bad).toContain("heard_every: found");
      expect(problems[0], bad).toContain("at least bthome.advertising_interval_s (60s)");
    }
  });
});

describe("heard_every on a device in the config", () => {
  const profiles = loadCatalogue().profiles;
  const check = (device: string) =>
    parseConfig(
      `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud: { brokers: [ { url: "mqtts://cloud.example:8883" } ] }
devices:
  - ${device}
`,
      "home.yaml",
      profiles,
    );

  it("overrides a Zigbee device's profile", () => {
    const r = check(
      '{ id: door-1, profile: aqara-mccgq11lm, ieee_address: "0x00158d0001a2b3c4", heard_every: 2h }',
    );
    expect(r.ok ? r.value.devices[0] : r.problems.map(formatProblem)).toMatchObject({
      heard_every: 2 * HOUR_MS,
    });
  });

  it("is refused on a meter, and on_change on a BTHome device, with the reason", () => {
    const meter = check(
      "{ id: meter-1, profile: eastron-sdm120, port: /dev/ttyUSB0, unit_id: 1, heard_every: 1h }",
    );
    expect(meter.ok ? [] : meter.problems.map(formatProblem)).toEqual([
      "home.yaml:5:90: devices[0].heard_every: found heard_every: 1h, expected no heard_every for a modbus device",
    ]);
    const ble = check(
      '{ id: button-1, profile: shelly-blu-button1, mac: "AA:BB:CC:DD:EE:FF", key: "00112233445566778899aabbccddeeff", heard_every: on_change }',
    );
    const text = ble.ok ? "" : ble.problems.map(formatProblem).join("\n");
    expect(text).toContain("devices[0].heard_every: found on_change, expected a duration");
    expect(text).toContain("it needs its beacon");
  });
});
