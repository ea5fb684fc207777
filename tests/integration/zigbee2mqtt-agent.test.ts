/**
 * Zigbee sensors through Zigbee2MQTT, end to end: a real Mosquitto on a free loopback port, a test
 * publisher standing in for Zigbee2MQTT (payloads in the shapes of each device's zigbee2mqtt.io page),
 * the real Agent with its SQLite outbox, and a test "cloud" subscriber on the same broker that
 * validates every envelope. The pipeline runs on a clock 60 times real time, so that its once-a-minute
 * coverage check runs every second; the network clock is real.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../../src/agent/agent.js";
import { parseConfig } from "../../src/config/load.js";
import type { AlertBody, Envelope, EventBody, TelemetryBody } from "../../src/contract/messages.js";
import { ScaledClock, SystemClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import {
  mosquittoAvailable,
  type Received,
  startMosquitto,
  subscribe,
  type TestBroker,
  type TestSubscriber,
} from "../helpers/brokers.js";
import { captureLog } from "../helpers/log-capture.js";
import { sleep, waitFor } from "../helpers/wait.js";

const run = mosquittoAvailable();
const HOME = "z2m-home";
const BASE = "zigbee2mqtt";
const IEEE = {
  motion: "0x00158d0001a2b3c4",
  door: "0x00158d0002b3c4d5",
  fall: "0xa4c1380012345678",
  button: "0x00158d0003c4d5e6",
};

function bridgeDevices(names: Record<keyof typeof IEEE, string>): string {
  // The shape of Zigbee2MQTT's retained bridge/devices (zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html).
  return JSON.stringify([
    {
      ieee_address: "0x00124b0012345678",
      type: "Coordinator",
      network_address: 0,
      friendly_name: "Coordinator",
    },
    ...Object.entries(names).map(([k, name], i) => ({
      ieee_address: IEEE[k as keyof typeof IEEE],
      type: "EndDevice",
      network_address: 1000 + i,
      supported: true,
      friendly_name: name,
      interview_completed: true,
    })),
  ]);
}

const NAMES = { motion: "hall motion", door: "front door", fall: "bedroom/radar", button: "call button" };

const bodies = <T>(msgs: readonly Received[], type: Envelope["type"]): T[] =>
  msgs.filter((m) => m.envelope.type === type).map((m) => m.envelope.body as T);
const alerts = (msgs: readonly Received[]) => bodies<AlertBody>(msgs, "alert");
const telemetry = (msgs: readonly Received[], device: string, channel: string) =>
  bodies<TelemetryBody>(msgs, "telemetry")
    .filter((t) => t.device === device)
    .flatMap((t) => t.values.filter((v) => v.channel === channel).map((v) => v.value));

describe.runIf(run)("Zigbee2MQTT sensors through Mosquitto into the agent", () => {
  let broker: TestBroker;
  let z2m: MqttClient;
  let agent: Agent;
  let cloud: TestSubscriber;
  const capture = captureLog();

  const publish = (topic: string, payload: string, retain = false) =>
    z2m.publishAsync(`${BASE}/${topic}`, payload, { qos: 1, retain });

  beforeAll(async () => {
    broker = await startMosquitto();
    z2m = await mqtt.connectAsync(broker.url, { clientId: "fake-zigbee2mqtt", reconnectPeriod: 0 });
    // What a running Zigbee2MQTT has left retained before Hearth starts.
    await publish("bridge/state", JSON.stringify({ state: "online" }), true);
    await publish("bridge/devices", bridgeDevices(NAMES), true);
    // The door has Zigbee2MQTT's availability on: its liveness comes from there, not from its silence.
    await publish(`${NAMES.door}/availability`, JSON.stringify({ state: "online" }), true);
    // An old retained state (a press long ago) must not become a call at start.
    await publish(NAMES.button, JSON.stringify({ action: "single", battery: 100 }), true);
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-z2m-"));
    const yaml = `version: 1
home: { id: ${HOME}, timezone: Asia/Shanghai }
state_dir: ${stateDir}
cloud:
  brokers: [{ url: "${broker.url}", mqtt_version: "5" }]
  heartbeat: 1s
  backoff_initial: 100ms
  backoff_max: 1s
  telemetry_interval: 0s
outbox: { telemetry_batch: 50, telemetry_flush: 200ms, runtime_dir: "${stateDir}-run" }
zigbee2mqtt: { url: "${broker.url}", base_topic: ${BASE} }
devices:
  - { id: motion-1, profile: aqara-rtcgq11lm, ieee_address: "${IEEE.motion}" }
  - { id: door-1, profile: aqara-mccgq11lm, ieee_address: "${IEEE.door}" }
  - { id: fall-1, profile: heiman-hs2fd-ef1, ieee_address: "${IEEE.fall.toUpperCase().replace("0X", "0x")}" }
  - { id: button-1, profile: aqara-wxkg11lm, ieee_address: "${IEEE.button}" }
detection: { degraded_after: 3m }
`;
    const cat = loadCatalogue();
    const parsed = parseConfig(yaml, "z2m-home.yaml", cat.profiles);
    if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join("\n"));
    const net = new SystemClock();
    agent = new Agent({
      config: parsed.value,
      profiles: cat.profiles,
      host: {
        clock: new ScaledClock(60, Date.now()),
        netClock: net,
        ids: randomIds,
        log: capture.log,
        version: "test",
        powerSupplyDir: null,
      },
    });
    cloud = await subscribe(broker.url, `hearth/v1/${HOME}/#`);
    await agent.start();
    await waitFor("the Zigbee2MQTT bridge to be heard", () => driverStatus().bridge.ok, {
      detail: () => driverStatus(),
    });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await cloud?.close();
    await z2m?.endAsync();
    await broker?.close();
  });

  function driverStatus() {
    const d = agent.status().drivers as {
      zigbee2mqtt?: {
        bridge: { ok: boolean; detail: string };
        devices: Record<string, { messages: number }>;
      };
    };
    return d.zigbee2mqtt ?? { bridge: { ok: false, detail: "no driver" }, devices: {} };
  }

  it("ignores a retained old press at start: no call", () => {
    expect(alerts(cloud.messages).filter((a) => a.kind === "call")).toEqual([]);
    expect(driverStatus().devices["button-1"]?.messages).toBe(0);
  });

  it("RTCGQ11LM occupancy (zigbee2mqtt.io/devices/RTCGQ11LM.html) is motion, and activity", async () => {
    // A binary channel's first value is where it stands; a change is the activity.
    await publish(NAMES.motion, JSON.stringify({ occupancy: false }));
    await publish(
      NAMES.motion,
      JSON.stringify({ battery: 100, occupancy: true, illuminance: 23, voltage: 3045, linkquality: 87 }),
    );
    await waitFor("activity from the motion sensor", () => agent.pipeline.lastSign()?.device === "motion-1");
    await cloud.waitFor((m) => telemetry(m, "motion-1", "motion").includes(1));
    expect(telemetry(cloud.messages, "motion-1", "battery_pct")).toContain(100);
  });

  it("MCCGQ11LM contact false (zigbee2mqtt.io/devices/MCCGQ11LM.html) is the door open", async () => {
    await publish(NAMES.door, JSON.stringify({ contact: true }));
    await publish(
      NAMES.door,
      JSON.stringify({ battery: 91, contact: false, temperature: 21, voltage: 3005 }),
    );
    await cloud.waitFor((m) => telemetry(m, "door-1", "door").includes(1));
    await waitFor("activity from the door", () => agent.pipeline.lastActivity()?.device === "door-1");
  });

  it("WXKG11LM single (zigbee2mqtt.io/devices/WXKG11LM.html) is a call; double is 'I am fine'", async () => {
    await publish(
      NAMES.button,
      JSON.stringify({ action: "single", battery: 100, voltage: 3042, linkquality: 120 }),
    );
    await cloud.waitFor((m) => alerts(m).some((a) => a.kind === "call" && a.device === "button-1"));
    await publish(NAMES.button, JSON.stringify({ action: "double" }));
    await cloud.waitFor((m) =>
      bodies<EventBody>(m, "event").some((e) => e.event === "button" && e.data.action === "i_am_fine"),
    );
    expect(cloud.invalid).toEqual([]);
  });

  it("HS2FD-EF1-3.0 fall_alarm (zigbee2mqtt.io/devices/HS2FD-EF1-3.0.html) is a fall reading", async () => {
    await publish(
      NAMES.fall,
      JSON.stringify({ occupancy: true, sensor_status: "none", fall_status: "fall_alarm" }),
    );
    await cloud.waitFor((m) => telemetry(m, "fall-1", "fall").includes(1));
  });

  it("malformed JSON is logged with topic and device, and the next message still counts", async () => {
    await publish(NAMES.door, "{not json");
    await waitFor("the log line", () =>
      capture.lines.some((l) => l.device === "door-1" && l.topic === `${BASE}/${NAMES.door}` && l.reason),
    );
    await publish(NAMES.door, JSON.stringify({ contact: true }));
    await cloud.waitFor((m) => telemetry(m, "door-1", "door").includes(0));
  });

  it("a rename through bridge/devices keeps the device; the old name is no longer it", async () => {
    const renamed = { ...NAMES, motion: "living room/motion" };
    await publish("bridge/devices", bridgeDevices(renamed), true);
    await waitFor("the new name", () =>
      capture.lines.some((l) => l.msg === "Zigbee device renamed" && l.to === "living room/motion"),
    );
    const before = driverStatus().devices["motion-1"]?.messages ?? 0;
    await publish(NAMES.motion, JSON.stringify({ occupancy: true, illuminance: 777 }));
    await publish(renamed.motion, JSON.stringify({ occupancy: true, illuminance: 555 }));
    await cloud.waitFor((m) => telemetry(m, "motion-1", "illuminance_lx").includes(555));
    expect(telemetry(cloud.messages, "motion-1", "illuminance_lx")).not.toContain(777);
    expect(driverStatus().devices["motion-1"]?.messages).toBe(before + 1);
  });

  it("a sensor silent past degraded_after (3 min) but within 2.5 × its profile's heard_every (1 h) is not degraded", async () => {
    const before = driverStatus().devices["door-1"]?.messages ?? 0;
    await publish(NAMES.door, JSON.stringify({ battery: 90, contact: true }));
    await waitFor(
      "the door sensor's message",
      () => (driverStatus().devices["door-1"]?.messages ?? 0) > before,
    );
    // 6 s at 60 × is 6 pipeline minutes: twice degraded_after, six coverage checks.
    await sleep(6_000);
    const degraded = alerts(cloud.messages).filter((a) => a.kind === "monitoring_degraded");
    // Without heard_every, motion-1, button-1 and fall-1 (last heard minutes ago) were degraded here.
    const sensors = ["motion-1", "door-1", "fall-1", "button-1"];
    expect(degraded.map((a) => a.device).filter((d) => d !== undefined && sensors.includes(d))).toEqual([]);
  });

  it("the bridge going offline (old plain payload) is monitoring_degraded, and online clears it", async () => {
    await publish("bridge/state", "offline", true);
    const degraded = (m: readonly Received[], state: string) =>
      alerts(m).some(
        (a) => a.kind === "monitoring_degraded" && a.device === `zigbee2mqtt:${BASE}` && a.state === state,
      );
    await cloud.waitFor((m) => degraded(m, "raised"), 30_000);
    const raised = alerts(cloud.messages).find(
      (a) => a.kind === "monitoring_degraded" && a.device === `zigbee2mqtt:${BASE}` && a.state === "raised",
    );
    expect(raised?.evidence).toMatchObject({ sense: "zigbee2mqtt", detail: "Zigbee2MQTT bridge offline" });
    await publish("bridge/state", JSON.stringify({ state: "online" }), true);
    await cloud.waitFor((m) => degraded(m, "cleared"), 30_000);
  });

  it("a device's availability offline is device_offline, then monitoring_degraded for it", async () => {
    await publish(`${NAMES.door}/availability`, JSON.stringify({ state: "offline" }), true);
    await cloud.waitFor((m) => alerts(m).some((a) => a.kind === "device_offline" && a.device === "door-1"));
    const doorDegraded = (m: readonly Received[]) =>
      alerts(m).find(
        (a) => a.kind === "monitoring_degraded" && a.device === "door-1" && a.state === "raised",
      );
    await cloud.waitFor((m) => doorDegraded(m) !== undefined, 30_000);
    expect(doorDegraded(cloud.messages)?.evidence).toMatchObject({
      sense: "zigbee_sensor",
      detail: "availability offline",
    });
    expect(cloud.invalid).toEqual([]);
  });

  it("reconnects after the broker restarts, and hears the sensors again", async () => {
    await z2m.endAsync(true);
    await broker.restart();
    await waitFor("the agent to see the broker gone", () => !driverStatus().bridge.ok);
    z2m = await mqtt.connectAsync(broker.url, { clientId: "fake-zigbee2mqtt", reconnectPeriod: 0 });
    // Zigbee2MQTT republishes its retained topics when its own connection comes back.
    await publish("bridge/state", JSON.stringify({ state: "online" }), true);
    await publish("bridge/devices", bridgeDevices(NAMES), true);
    await waitFor("the bridge heard again", () => driverStatus().bridge.ok, {
      timeoutMs: 30_000,
      detail: () => driverStatus().bridge,
    });
    await cloud.ready();
    await publish(NAMES.motion, JSON.stringify({ occupancy: true, illuminance: 4242 }));
    await cloud.waitFor((m) => telemetry(m, "motion-1", "illuminance_lx").includes(4242), 30_000);
  });
});
