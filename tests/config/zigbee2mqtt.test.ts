import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";

const profiles = loadCatalogue().profiles;

function check(devices: string[], section = "") {
  return parseConfig(
    `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud: { brokers: [ { url: "mqtts://cloud.example:8883" } ] }
${section}devices:
${devices.map((d) => `  - ${d}`).join("\n")}
`,
    "home.yaml",
    profiles,
  );
}

const problems = (r: ReturnType<typeof check>) => (r.ok ? [] : r.problems);

describe("Zigbee2MQTT devices and section in the config", () => {
  it("takes devices keyed by IEEE address; the section is optional, with Zigbee2MQTT's defaults", () => {
    const r = check([
      '{ id: motion-1, profile: aqara-rtcgq11lm, ieee_address: "0x00158d0001a2b3c4" }',
      '{ id: door-1, profile: aqara-mccgq11lm, ieee_address: "0x00158D0001A2B3C5" }',
    ]);
    expect(r.ok ? "ok" : r.problems.map(formatProblem).join("\n")).toBe("ok");
    if (!r.ok) return;
    expect(r.value.zigbee2mqtt).toBeUndefined();
    expect(r.value.devices[0]).toEqual({
      protocol: "zigbee2mqtt",
      id: "motion-1",
      profile: "aqara-rtcgq11lm",
      ieee_address: "0x00158d0001a2b3c4",
    });
    const s = check(
      ['{ id: m, profile: aqara-rtcgq11lm, ieee_address: "0x00158d0001a2b3c4" }'],
      "zigbee2mqtt: {}\n",
    );
    expect(s.ok && s.value.zigbee2mqtt).toMatchObject({
      url: "mqtt://127.0.0.1:1883",
      base_topic: "zigbee2mqtt",
    });
  });

  it("a missing or malformed IEEE address is named with its path and line", () => {
    const missing = problems(check(["{ id: motion-1, profile: aqara-rtcgq11lm }"]));
    expect(missing.map((p) => [p.path, p.line])).toEqual([["devices[0].ieee_address", 5]]);
    expect(formatProblem(missing[0] as (typeof missing)[number])).toContain("a zigbee2mqtt device needs it");
    const bad = problems(check(['{ id: motion-1, profile: aqara-rtcgq11lm, ieee_address: "hall motion" }']));
    expect(bad.map((p) => [p.path, p.line])).toEqual([["devices[0].ieee_address", 5]]);
    expect(formatProblem(bad[0] as (typeof bad)[number])).toContain("0x and 16 hex digits");
  });

  it("refuses one address twice (in any case), and transport keys of other protocols", () => {
    const twice = problems(
      check([
        '{ id: a, profile: aqara-rtcgq11lm, ieee_address: "0x00158d0001a2b3c4" }',
        '{ id: b, profile: aqara-mccgq11lm, ieee_address: "0x00158D0001A2B3C4" }',
      ]),
    );
    expect(twice.map((p) => [p.path, p.line])).toEqual([["devices[1].ieee_address", 6]]);
    const foreign = problems(
      check([
        '{ id: a, profile: aqara-rtcgq11lm, ieee_address: "0x00158d0001a2b3c4", mac: "AA:BB:CC:DD:EE:FF" }',
      ]),
    );
    expect(foreign.map((p) => p.path)).toEqual(["devices[0].mac"]);
    const onBle = problems(
      check([
        '{ id: a, profile: shelly-blu-door-window, mac: "AA:BB:CC:DD:EE:FF", ieee_address: "0x00158d0001a2b3c4" }',
      ]),
    );
    expect(onBle.map((p) => p.path)).toEqual(["devices[0].ieee_address"]);
  });

  it("plain mqtt:// to another host needs insecure: true; the password is never printed back", () => {
    const dev = ['{ id: a, profile: aqara-rtcgq11lm, ieee_address: "0x00158d0001a2b3c4" }'];
    const remote = problems(
      check(dev, 'zigbee2mqtt: { url: "mqtt://192.168.1.20:1883", password: "s3cretpass" }\n'),
    );
    expect(remote.map((p) => [p.path, p.line])).toEqual([["zigbee2mqtt.url", 4]]);
    expect(remote.map(formatProblem).join("\n")).not.toContain("s3cretpass");
    expect(check(dev, 'zigbee2mqtt: { url: "mqtt://192.168.1.20:1883", insecure: true }\n').ok).toBe(true);
    const badPw = problems(check(dev, "zigbee2mqtt: { password: 12345678 }\n"));
    expect(badPw.map((p) => p.path)).toEqual(["zigbee2mqtt.password"]);
    expect(badPw.map(formatProblem).join("\n")).not.toContain("12345678");
  });
});
