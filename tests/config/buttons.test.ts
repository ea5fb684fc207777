import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";

/**
 * A button whose presses call for help or say "I am fine" cannot be left open to spoofing without the
 * config saying so (issue 9): a spoofed plain `press` raised a fake call, a plain `double_press`
 * cleared a real inactivity alert.
 */
const profiles = loadCatalogue().profiles;
const KEY = "231d39c1d7cc1ab1aee224cd096db932";

function check(device: string) {
  return parseConfig(
    `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud: { brokers: [ { url: "mqtt://127.0.0.1:1883" } ] }
devices:
  - ${device}
`,
    "home.yaml",
    profiles,
  );
}

describe("buttons without a bind key", () => {
  it("a call button without a key is refused, naming what could be spoofed and the way out", () => {
    const r = check('{ id: button-1, profile: shelly-blu-button1, mac: "AA:BB:CC:DD:EE:FF" }');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    const text = formatProblem(r.problems[0] as (typeof r.problems)[number]);
    expect(r.problems[0]?.path).toBe("devices[0].key");
    expect(r.problems[0]?.line).toBe(5);
    expect(text).toContain("press → call");
    expect(text).toContain("insecure: true");
  });

  it("is accepted with a key, or with insecure: true said in so many words", () => {
    for (const device of [
      `{ id: button-1, profile: shelly-blu-button1, mac: "AA:BB:CC:DD:EE:FF", key: "${KEY}" }`,
      '{ id: button-1, profile: shelly-blu-button1, mac: "AA:BB:CC:DD:EE:FF", insecure: true }',
    ]) {
      const r = check(device);
      expect(r.ok ? "ok" : r.problems.map(formatProblem).join("\n"), device).toBe("ok");
    }
    const insecure = check(
      '{ id: b, profile: generic-bthome-button, mac: "AA:BB:CC:DD:EE:01", insecure: true }',
    );
    expect(insecure.ok && insecure.value.devices[0]).toMatchObject({ protocol: "bthome", insecure: true });
  });

  it("a sensor whose events only count as activity needs no key", () => {
    const r = check('{ id: door-1, profile: shelly-blu-door-window, mac: "AA:BB:CC:DD:EE:02" }');
    expect(r.ok ? "ok" : r.problems.map(formatProblem).join("\n")).toBe("ok");
  });

  it("insecure is a BLE key: a meter that says it is refused", () => {
    const r = check("{ id: m, profile: eastron-sdm120, port: /dev/ttyUSB0, unit_id: 1, insecure: true }");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toEqual(["devices[0].insecure"]);
  });
});
