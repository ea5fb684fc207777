/**
 * A blood-pressure monitor end to end: node-ble's real code against python-dbusmock's BlueZ with a
 * simulated GATT peripheral (tests/helpers/gatt-peripheral.ts), the real Agent with its outbox, a real
 * Mosquitto, and a "cloud" subscriber that validates every envelope. Skips with the reason where
 * dbus-daemon, python3-dbusmock or mosquitto are missing; fails under CI=true.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeBloodPressure } from "../../drivers/gatt-health/encode.js";
import { Agent } from "../../src/agent/agent.js";
import { parseConfig } from "../../src/config/load.js";
import type { AlertBody, Envelope, TelemetryBody } from "../../src/contract/messages.js";
import { SystemClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { bluezMockAvailable, bluezMockForSuite } from "../helpers/bluez-mock.js";
import { mosquittoAvailable, startMosquitto, subscribe, type TestBroker } from "../helpers/brokers.js";
import { GattPeripheral } from "../helpers/gatt-peripheral.js";
import { captureLog } from "../helpers/log-capture.js";
import { waitFor } from "../helpers/wait.js";

const run = bluezMockAvailable() && mosquittoAvailable();
const MAC = "C0:11:22:33:44:55";

function healthHome(home: string, broker: string, stateDir: string) {
  const yaml = `version: 1
home: { id: ${home}, timezone: Asia/Shanghai }
state_dir: ${stateDir}
cloud:
  brokers:
    - url: ${broker}
      mqtt_version: "5"
  backoff_initial: 100ms
  backoff_max: 1s
outbox: { telemetry_batch: 50, telemetry_flush: 200ms }
health:
  enabled: true
  limits:
    systolic_mmhg: { at_least: 180 }
devices:
  - { id: bp-1, profile: generic-gatt-blood-pressure, mac: "${MAC}", adapter: hci0 }
log_level: debug
`;
  const catalogue = loadCatalogue();
  const parsed = parseConfig(yaml, `${home}.yaml`, catalogue.profiles);
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join("\n"));
  return { config: parsed.value, profiles: catalogue.profiles };
}

describe.runIf(run)(
  "a blood-pressure monitor through node-ble, a dbusmock BlueZ, the agent and Mosquitto",
  () => {
    const bluez = bluezMockForSuite();
    let broker: TestBroker;
    const cleanups: (() => Promise<void> | void)[] = [];
    beforeAll(async () => {
      broker = await startMosquitto();
    });
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    afterAll(async () => {
      await broker?.close();
    });

    it("two queued readings arrive as telemetry at the device's times; the one over the limit raises a health alert; no value is logged", async () => {
      const home = "health-home-1";
      const sub = await subscribe(broker.url, `hearth/v1/${home}/#`, { protocolVersion: 5 });
      cleanups.push(() => sub.close());
      const path = await bluez.addDevice(MAC, "BP-Monitor");
      const peripheral = await GattPeripheral.install(path, "blood_pressure", ["2a35"]);
      cleanups.push(() => peripheral.close());
      const { log, text } = captureLog();
      const clock = new SystemClock();
      const { config, profiles } = healthHome(
        home,
        broker.url,
        mkdtempSync(join(tmpdir(), "hearth-health-")),
      );
      const agent = new Agent({
        config,
        profiles,
        host: { clock, netClock: clock, ids: randomIds, log, version: "test", powerSupplyDir: null },
      });
      cleanups.push(() => agent.stop());
      await agent.start();

      await waitFor("the agent to connect", async () => {
        await peripheral.advertise();
        return peripheral.notifying("2a35");
      });
      const at = (hours: number) => ({ year: 2026, month: 12, day: 6, hours, minutes: 15, seconds: 0 });
      await peripheral.indicate(
        "2a35",
        encodeBloodPressure({
          systolic: 126,
          diastolic: 82,
          meanArterialPressure: 97,
          pulseRate: 66,
          timestamp: at(8),
        }),
      );
      await peripheral.indicate(
        "2a35",
        encodeBloodPressure({
          systolic: 187,
          diastolic: 104,
          meanArterialPressure: 132,
          pulseRate: 91,
          timestamp: at(19),
        }),
      );
      // The device drops the link when done, as A&D's monitors do.
      await waitFor(
        "both readings",
        () =>
          (agent.status().drivers as Record<string, Record<string, { readings: number }>>).gatt_health?.[
            "bp-1"
          ]?.readings === 2,
      );
      await peripheral.dropLink();

      const got = await sub.waitFor(
        (m) =>
          m.some(
            (x) => x.envelope.type === "alert" && (x.envelope as Envelope<"alert">).body.kind === "health",
          ) && m.filter((x) => x.envelope.type === "telemetry").length >= 2,
      );
      const telemetry = got
        .filter((m) => m.envelope.type === "telemetry")
        .map((m) => (m.envelope as Envelope<"telemetry">).body as TelemetryBody);
      expect(telemetry.map((t) => [t.device, t.at, t.values[0]?.channel, t.values[0]?.value])).toEqual([
        ["bp-1", "2026-12-06T08:15:00.000+08:00", "systolic_mmhg", 126],
        ["bp-1", "2026-12-06T19:15:00.000+08:00", "systolic_mmhg", 187],
      ]);
      const alerts = got
        .filter((m) => m.envelope.type === "alert")
        .map((m) => (m.envelope as Envelope<"alert">).body as AlertBody);
      expect(alerts).toEqual([
        expect.objectContaining({
          kind: "health",
          state: "raised",
          device: "bp-1",
          evidence: expect.objectContaining({
            readings: [{ channel: "systolic_mmhg", value: 187, unit: "mmHg", limit: { at_least: 180 } }],
            measured_at: "2026-12-06T19:15:00.000+08:00",
          }),
        }),
      ]);
      expect(sub.invalid).toEqual([]);
      const logged = text();
      expect(logged).toMatch(/bp-1/);
      // The readings never reach the log. Ids (random UUIDs) and timestamps are taken out first: a
      // random id holds "126" about one time in a hundred, which is no reading.
      const scrubbed = logged
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>")
        .replace(/\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})/g, "<ts>")
        .replace(/"time":\d+/g, '"time":0');
      for (const value of [126, 187, 104, 132]) expect(scrubbed).not.toMatch(new RegExp(`\\b${value}\\b`));
    });
  },
);
