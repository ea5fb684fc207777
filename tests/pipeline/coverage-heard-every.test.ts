import { describe, expect, it } from "vitest";
import type { DeviceEntry } from "../../src/config/devices.js";
import { heardEveryByDevice } from "../../src/config/heard-every.js";
import type { Channel } from "../../src/core/channels.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { Coverage } from "../../src/pipeline/coverage.js";
import { DeviceRegistry } from "../../src/pipeline/device-registry.js";
import { silenceLimitMs } from "../../src/pipeline/silence-limits.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import type { HeardEvery } from "../../src/profiles/common.js";
import type { DeviceProfile } from "../../src/profiles/schema.js";
import { alertRig, pipelineRig } from "../helpers/pipeline-rig.js";

/**
 * A sense's own silence limit (battery Zigbee/BLE devices that report rarely): a device heard every so
 * often is degraded only after 2.5 of its intervals, never for on_change, and every other device
 * (meters) after `degraded_after` (45 min) as before.
 */
function rig(heardEvery?: ReadonlyMap<string, HeardEvery>) {
  const { clock, sink, alerts } = alertRig("cov");
  const devices = new DeviceRegistry();
  const coverage = new Coverage({
    alerts,
    devices,
    degradedAfterMs: 45 * MINUTE_MS,
    ...(heardEvery ? { heardEvery } : {}),
    timeZone: "Asia/Shanghai",
  });
  const read = (device: string, channel: Channel = "battery_pct", value = 97) => {
    const r = { device, channel, value, mono: clock.monotonicMs() };
    devices.record(r, clock.wallMs());
    coverage.answered([r]);
  };
  /** Runs the minute check (as the pipeline does) for `ms`, a reading from each of `heartbeats` every `everyMs`. */
  const run = (ms: number, everyMs = 0, heartbeats: readonly string[] = []) => {
    for (let t = MINUTE_MS; t <= ms; t += MINUTE_MS) {
      clock.advanceBy(MINUTE_MS);
      if (everyMs > 0 && t % everyMs === 0) for (const d of heartbeats) read(d);
      coverage.check(clock.monotonicMs(), clock.wallMs());
    }
  };
  return { clock, sink, read, run };
}

const catalogue = loadCatalogue();
const profileOf = (id: string) => catalogue.profiles.get(id);

describe("a device's own silence limit (heard_every)", () => {
  it("a button heard every 55 min raises nothing over eight hours; without heard_every it flaps every hour", () => {
    const withIt = rig(new Map([["button-1", 55 * MINUTE_MS]]));
    withIt.read("button-1");
    withIt.run(8 * HOUR_MS, 55 * MINUTE_MS, ["button-1"]);
    expect(withIt.sink.alerts).toEqual([]);
    // The field bug, as it was: degraded at 45 min, cleared by the heartbeat at 55, every hour.
    const without = rig();
    without.read("button-1");
    without.run(8 * HOUR_MS, 55 * MINUTE_MS, ["button-1"]);
    expect(without.sink.states().length).toBeGreaterThanOrEqual(16);
    expect(without.sink.states().slice(0, 2)).toEqual([
      "monitoring_degraded:raised",
      "monitoring_degraded:cleared",
    ]);
  });

  it("missing two heartbeats raises monitoring_degraded; missing one does not", () => {
    const { sink, read, run } = rig(new Map([["button-1", 55 * MINUTE_MS]]));
    read("button-1");
    run(2 * 55 * MINUTE_MS + MINUTE_MS); // one heartbeat lost, the next one late
    expect(sink.alerts).toEqual([]);
    run(3 * 55 * MINUTE_MS - (2 * 55 * MINUTE_MS + MINUTE_MS)); // the second one lost too
    expect(sink.states()).toEqual(["monitoring_degraded:raised"]);
    expect(sink.alerts[0]?.device).toBe("button-1");
    // Raised at the first minute check past 2.5 × 55 min = 137.5 min.
    expect(sink.alerts[0]?.evidence).toMatchObject({ missing_s: 138 * 60 });
  });

  it("a meter (no heard_every) still degrades at 45 min beside a rarely heard sensor", () => {
    const { sink, read, run } = rig(new Map([["door-1", HOUR_MS]]));
    read("meter-1", "power_w", 30);
    read("door-1", "door", 0);
    run(44 * MINUTE_MS);
    expect(sink.alerts).toEqual([]);
    run(MINUTE_MS);
    expect(sink.alerts.map((a) => [a.device, a.state])).toEqual([["meter-1", "raised"]]);
  });

  it("a device heard more often than degraded_after is still given degraded_after", () => {
    expect(silenceLimitMs(60_000, 45 * MINUTE_MS)).toBe(45 * MINUTE_MS);
    expect(silenceLimitMs(HOUR_MS, 45 * MINUTE_MS)).toBe(2.5 * HOUR_MS);
    expect(silenceLimitMs(undefined, 45 * MINUTE_MS)).toBe(45 * MINUTE_MS);
    const { sink, read, run } = rig(new Map([["ble-button", 60_000]]));
    read("ble-button");
    run(45 * MINUTE_MS);
    expect(sink.alerts.map((a) => a.device)).toEqual(["ble-button"]);
  });

  it("a device that reports only on change is not judged on its silence", () => {
    const { sink, read, run } = rig(new Map([["door-2", "on_change"]]));
    read("door-2", "door", 0); // a contact whose heartbeat was turned off (config override)
    run(24 * HOUR_MS);
    expect(sink.alerts).toEqual([]);
  });
});

describe("the pipeline passes heard_every to its coverage", () => {
  it("an hourly Zigbee button beside a polled meter: the meter degrades at 45 min, the button not in 6 h", () => {
    const { clock, sink, read } = pipelineRig(
      "2026-03-02T09:00:00+08:00",
      {},
      { expectedDevices: ["meter-1"], heardEvery: new Map([["button-1", HOUR_MS]]) },
    );
    read("button-1", "battery_pct", 97);
    for (let min = 1; min <= 6 * 60; min++) {
      if (min <= 60) read("meter-1", "power_w", 30); // then the meter's line breaks
      if (min % 55 === 0) read("button-1", "battery_pct", 97);
      clock.advanceBy(MINUTE_MS);
    }
    const degraded = sink.alerts.filter((a) => a.kind === "monitoring_degraded");
    expect(degraded.map((a) => [a.device, a.state])).toEqual([["meter-1", "raised"]]);
  });
});

describe("heard_every per device, from the profile or the config", () => {
  const z2m = (id: string, profile: string, heard_every?: HeardEvery): DeviceEntry => ({
    protocol: "zigbee2mqtt",
    id,
    profile,
    ieee_address: "0x00158d0001a2b3c4",
    ...(heard_every !== undefined ? { heard_every } : {}),
  });
  const meter: DeviceEntry = {
    protocol: "modbus",
    id: "meter-1",
    profile: "eastron-sdm120",
    port: "/dev/ttyUSB0",
    unit_id: 1,
  };

  it("takes the profile's, the config's over it, and nothing for a meter", () => {
    const m = heardEveryByDevice(
      [
        z2m("button-1", "aqara-wxkg11lm"),
        z2m("radar-1", "heiman-hs2fd-ef1"),
        z2m("door-1", "aqara-mccgq11lm", 20 * MINUTE_MS),
        meter,
      ],
      profileOf,
    );
    expect(Object.fromEntries(m)).toEqual({
      "button-1": HOUR_MS,
      "radar-1": HOUR_MS,
      "door-1": 20 * MINUTE_MS,
    });
  });

  it("a profile without heard_every behaves as before: degraded after 45 min", () => {
    const aqara = profileOf("aqara-wxkg11lm");
    if (aqara?.protocol !== "zigbee2mqtt") throw new Error("aqara-wxkg11lm missing from the catalogue");
    const { heard_every: _dropped, ...older } = aqara;
    const m = heardEveryByDevice([z2m("button-1", "older")], (id) =>
      id === "older" ? (older as DeviceProfile) : undefined,
    );
    expect(m.size).toBe(0);
    const { sink, read, run } = rig(m);
    read("button-1");
    run(44 * MINUTE_MS);
    expect(sink.alerts).toEqual([]);
    run(MINUTE_MS);
    expect(sink.states()).toEqual(["monitoring_degraded:raised"]);
  });

  it("every self-reporting profile in device-profiles/ says how often it is heard; no meter does", () => {
    for (const p of catalogue.profiles.values()) {
      const polled = p.protocol === "modbus" || p.protocol === "dlt645" || p.protocol === "cjt188";
      expect("heard_every" in p && p.heard_every !== undefined, p.id).toBe(!polled);
    }
  });
});
