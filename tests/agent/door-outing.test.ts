/**
 * An entrance door sensor's adverts reach the outing logic: the agent's own driver wiring
 * (`startDrivers`, the real Shelly BLU Door/Window profile and BTHome receiver, a simulated radio)
 * feeding a Pipeline built from the same config's `detection` section, on a virtual clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RunningDrivers } from "../../src/agent/drivers.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { detectionOptions } from "../../src/pipeline/options.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { bleHome, parsedHome } from "../helpers/ble-home.js";
import { TEST_KEY } from "../helpers/bthome.js";
import { SimulatedSensor, windowObjects } from "../helpers/bthome-sensor.js";
import { RecordingSink } from "../helpers/message-sink.js";

const DOOR = "AA:BB:CC:DD:EE:14";

const CONFIG = `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud:
  brokers:
    - url: mqtt://127.0.0.1:1883
detection:
  degraded_after: 24h
  outing: { settle: 10m, max_day: 3h }
devices:
  - { id: door-entrance, profile: shelly-blu-door-window, mac: "${DOOR}", key: ${TEST_KEY} }
`;

const running: RunningDrivers[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

describe("an entrance door sensor through the BTHome receiver", () => {
  it("open and closed, then nothing: outing_started after the configured settle, not_home after max_day", async () => {
    const config = parsedHome(CONFIG);
    const clock = new VirtualClock({ wallStartMs: Date.parse("2026-03-02T09:00:00+08:00") });
    const out = new RecordingSink();
    const pipeline = new Pipeline({
      home: "h1",
      timeZone: "Asia/Shanghai",
      clock,
      ids: new SeededIds("t"),
      sink: out,
      log: silentLogger(),
      detection: detectionOptions(config.detection),
      buttonAction: () => undefined,
      telemetry: false,
    });
    pipeline.start();
    const { drivers, air } = await bleHome(config, pipeline, clock);
    running.push(drivers);
    const door = new SimulatedSensor({ mac: DOOR, scanner: air, key: TEST_KEY });

    door.report(windowObjects(false));
    clock.advanceBy(MINUTE_MS);
    door.report(windowObjects(true)); // 09:01 opened
    clock.advanceBy(MINUTE_MS);
    door.report(windowObjects(false)); // 09:02 closed
    expect(pipeline.lastActivity()).toMatchObject({ source: "door", device: "door-entrance" });
    clock.advanceBy(9 * MINUTE_MS);
    expect(out.events.filter((e) => e.event === "outing_started")).toEqual([]);
    clock.advanceBy(MINUTE_MS);
    expect(out.events.filter((e) => e.event === "outing_started")).toEqual([
      {
        event: "outing_started",
        device: "door-entrance",
        data: expect.objectContaining({ door: "door-entrance" }),
      },
    ]);
    clock.advanceBy(3 * HOUR_MS);
    expect(out.states("not_home")).toEqual(["not_home:raised"]);
    pipeline.stop();
  });
});
