import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";

/** Health monitors in a home's config: opt-in per home, user_id only where the device keeps several users. */
const profiles = loadCatalogue().profiles;

function check(health: string, device: string) {
  return parseConfig(
    `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud: { brokers: [ { url: "mqtt://127.0.0.1:1883" } ] }
${health}
devices:
  - ${device}
`,
    "home.yaml",
    profiles,
  );
}

const BP = '{ id: bp-1, profile: generic-gatt-blood-pressure, mac: "C0:11:22:33:44:55" }';

describe("health monitors in the config", () => {
  it("a health device in a home that did not opt in is refused, saying how to opt in", () => {
    const r = check("", BP);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.path, p.expected])).toEqual([
      ["devices[0].profile", "health.enabled: true first (health data is opt-in per home)"],
    ]);
  });

  it("accepted with health.enabled; limits and the regular measurement parsed; off by default", () => {
    const r = check(
      `health:
  enabled: true
  limits: { systolic_mmhg: { at_least: 180 }, spo2_pct: { at_most: 90 } }
  regular: { every: 1d, by: "10:30" }`,
      BP,
    );
    expect(r.ok, JSON.stringify(!r.ok && r.problems)).toBe(true);
    if (!r.ok) return;
    expect(r.value.health).toMatchObject({
      enabled: true,
      limits: { systolic_mmhg: { at_least: 180 }, spo2_pct: { at_most: 90 } },
      regular: { every: 86_400_000, by: 630, devices: [] },
    });
    expect(r.value.devices[0]).toMatchObject({ protocol: "gatt_health", mac: "C0:11:22:33:44:55" });
    const off = check(
      "",
      '{ id: button-1, profile: shelly-blu-button1, mac: "AA:BB:CC:DD:EE:FF", insecure: true }',
    );
    expect(off.ok && off.value.health.enabled).toBe(false);
  });

  it("a limit without a bound, an unknown channel, or user_id on a one-user device is refused", () => {
    const on = "health: { enabled: true, limits: { systolic_mmhg: {} } }";
    expect(check(on, BP).ok).toBe(false);
    expect(check("health: { enabled: true, limits: { heart_mood: { at_least: 1 } } }", BP).ok).toBe(false);
    const r = check("health: { enabled: true }", BP.replace(" }", ", user_id: 2 }"));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path)).toEqual(["devices[0].user_id"]);
  });
});
