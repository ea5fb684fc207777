import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterEach, describe, expect, it } from "vitest";
import { Cjt188Meter } from "../../drivers/cjt188/sim/index.js";
import { Dlt645Meter } from "../../drivers/dlt645/sim/index.js";
import { SimulatedModbusMeter } from "../../drivers/modbus/sim/index.js";
import { type ServedPort, servePort } from "../../drivers/serial/sim/index.js";
import { Agent } from "../../src/agent/agent.js";
import type { LoadedConfig } from "../../src/config/devices.js";
import { parseConfig } from "../../src/config/load.js";
import type { AlertBody, Envelope, EventBody, TelemetryBody } from "../../src/contract/messages.js";
import { SystemClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import { createLogger, silentLogger } from "../../src/core/log.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import type { Dlt645Profile } from "../../src/profiles/dlt645.js";
import type { ModbusProfile } from "../../src/profiles/modbus.js";
import type { DeviceProfile } from "../../src/profiles/schema.js";
import { type Received, startAedes, subscribe, type TestSubscriber } from "../helpers/brokers.js";
import { devLinkDir, type PtyPair, startPtyPair } from "../helpers/socat.js";
import { haveTool, requireTool } from "../helpers/tools.js";

/*
 * The real Agent, with no serial binding in its host (so the native @serialport/bindings-cpp one),
 * reads a Modbus, a DL/T 645 and a CJ/T 188 meter on ONE socat pseudo-terminal. The simulators are
 * served on the pty's other end and speak the real bytes; what the agent makes of them is checked at
 * the far end of the chain, on the broker, through the message contract.
 */

const socat = requireTool("socat", haveTool("socat", ["-V"]), "apt-get install socat");
const binding = autoDetect();

const { dir, usable: devWritable } = devLinkDir();

const HOME = "pty-home";
const DLT_ADDRESS = "000012345678";
const CJT_ADDRESS = "00000805000001";
// One RS-485 line, one setting: 2400 8E1 (the DL/T 645 and CJ/T 188 default). The SDM120's factory
// default is 2400 8N1, so its entry sets `parity: even` as the installer would on the meter's panel.
const LINE = { baud: 2400, data_bits: 8, parity: "even", stop_bits: 1 } as const;

const catalogue = loadCatalogue();
const profiles: ReadonlyMap<string, DeviceProfile> = catalogue.profiles;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function configFor(brokerUrl: string, port: string, stateDir: string): LoadedConfig {
  const yaml = `version: 1
home: { id: ${HOME}, timezone: Asia/Shanghai }
state_dir: ${stateDir}
cloud:
  brokers:
    - url: ${brokerUrl}
      mqtt_version: "3.1.1"
  backoff_initial: 100ms
  backoff_max: 1s
  replay_rate: 5000
  telemetry_interval: 0s
outbox: { telemetry_batch: 50, telemetry_flush: 100ms }
devices:
  - { id: power-mb, profile: eastron-sdm120, port: "${port}", unit_id: 7, baud: 2400, parity: even, poll: 500ms }
  - { id: power-dlt, profile: generic-dlt645-single-phase, port: "${port}", address: "${DLT_ADDRESS}", baud: 2400, parity: even, poll: 500ms }
  - { id: water-cjt, profile: generic-cjt188-cold-water, port: "${port}", address: "${CJT_ADDRESS}", baud: 2400, parity: even, poll: 500ms }
log_level: warn
`;
  const parsed = parseConfig(yaml, "meters-pty.yaml", profiles);
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join("\n"));
  return parsed.value;
}

interface Meters {
  modbus: SimulatedModbusMeter;
  dlt: Dlt645Meter;
  water: Cjt188Meter;
}

/** The three meters; `turnaroundMs` keeps a request at the meter long enough to pull the plug on it. */
function meters(turnaroundMs: number): Meters {
  return {
    modbus: new SimulatedModbusMeter({
      profile: profiles.get("eastron-sdm120") as ModbusProfile,
      unitId: 7,
      values: () => ({
        voltage_v: 231.5,
        current_a: 1.82,
        power_w: 420,
        frequency_hz: 50,
        energy_total_kwh: 1500.25,
      }),
      turnaroundMs,
    }),
    dlt: new Dlt645Meter({
      address: DLT_ADDRESS,
      identifiers: (profiles.get("generic-dlt645-single-phase") as Dlt645Profile).dlt645.identifiers,
      values: () => ({ energy_total_kwh: 987.65, voltage_v: 228.4, current_a: 0.52, power_w: 118.3 }),
      delayMs: turnaroundMs,
    }),
    water: new Cjt188Meter({
      address: CJT_ADDRESS,
      values: () => ({ water_total_m3: 56.78 }),
      delayMs: turnaroundMs,
    }),
  };
}

interface Line {
  pty: PtyPair;
  served: ServedPort;
  meters: Meters;
}

/** A socat pty pair with the three simulators served on the far end. */
async function plugLine(dev: string, sim: string, turnaroundMs = 0): Promise<Line> {
  const pty = await startPtyPair(dev, sim);
  const m = meters(turnaroundMs);
  const served = await servePort({
    binding,
    path: sim,
    settings: LINE,
    devices: [m.modbus, m.dlt, m.water],
    idleMs: 8,
  });
  return { pty, served, meters: m };
}

async function unplugLine(l: Line): Promise<void> {
  await l.served.close();
  await l.pty.kill();
}

const DEVICES = ["power-mb", "power-dlt", "water-cjt"] as const;

const telemetryOf = (msgs: readonly Received[], device: string): TelemetryBody[] =>
  msgs
    .filter((m) => m.envelope.type === "telemetry")
    .map((m) => (m.envelope as Envelope<"telemetry">).body)
    .filter((b) => b.device === device);
const alertsOf = (msgs: readonly Received[]): AlertBody[] =>
  msgs.filter((m) => m.envelope.type === "alert").map((m) => (m.envelope as Envelope<"alert">).body);
const eventsOf = (msgs: readonly Received[]): EventBody[] =>
  msgs.filter((m) => m.envelope.type === "event").map((m) => (m.envelope as Envelope<"event">).body);

/** The channel → value map of the latest telemetry of a device. */
function latest(msgs: readonly Received[], device: string): Record<string, { value: number; unit: string }> {
  const t = telemetryOf(msgs, device).at(-1);
  const out: Record<string, { value: number; unit: string }> = {};
  for (const v of t?.values ?? []) out[v.channel] = { value: v.value, unit: v.unit };
  return out;
}

async function startAgent(port: string): Promise<{ agent: Agent; sub: TestSubscriber }> {
  const broker = await startAedes();
  cleanups.push(() => broker.close());
  const sub = await subscribe(broker.url, `hearth/v1/${HOME}/#`);
  cleanups.push(() => sub.close());
  const stateDir = mkdtempSync(join(tmpdir(), "hearth-meters-pty-"));
  cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));
  const clock = new SystemClock();
  // No serialBinding: the agent loads the native binding, as on a gateway.
  const agent = new Agent({
    config: configFor(broker.url, port, stateDir),
    profiles,
    host: {
      clock,
      netClock: clock,
      ids: randomIds,
      // HEARTH_TEST_LOG=1 prints the agent's debug log on stderr, to see why a wait timed out.
      log: process.env.HEARTH_TEST_LOG ? createLogger({ level: "debug" }) : silentLogger(),
      version: "test",
      powerSupplyDir: null,
    },
  });
  cleanups.push(() => agent.stop());
  await agent.start();
  return { agent, sub };
}

describe.skipIf(!(socat && devWritable))(
  "the agent reads three meters of three protocols on one socat pty",
  () => {
    it("telemetry of all three arrives with the right channels and values; a meter talking garbage does not stop the others", async () => {
      const dev = join(dir as string, "ttyA-gw");
      const line = await plugLine(dev, join(dir as string, "ttyA-meters"));
      cleanups.push(() => unplugLine(line));
      const { sub } = await startAgent(dev);

      await sub.waitFor((m) => DEVICES.every((d) => telemetryOf(m, d).length > 0), 20_000);
      const mb = latest(sub.messages, "power-mb");
      expect(mb.voltage_v?.value).toBeCloseTo(231.5, 3);
      expect(mb.current_a?.value).toBeCloseTo(1.82, 3);
      expect(mb.power_w).toEqual({ value: expect.closeTo(420, 3), unit: "W" });
      expect(mb.frequency_hz?.value).toBeCloseTo(50, 3);
      expect(mb.energy_total_kwh).toEqual({ value: expect.closeTo(1500.25, 2), unit: "kWh" });
      const dlt = latest(sub.messages, "power-dlt");
      expect(Object.keys(dlt).sort()).toEqual(["current_a", "energy_total_kwh", "power_w", "voltage_v"]);
      expect(dlt.energy_total_kwh).toEqual({ value: expect.closeTo(987.65, 6), unit: "kWh" });
      expect(dlt.voltage_v).toEqual({ value: expect.closeTo(228.4, 6), unit: "V" });
      expect(dlt.current_a).toEqual({ value: expect.closeTo(0.52, 6), unit: "A" });
      // Sent in kW by the meter (XX.XXXX), scaled to W by the profile.
      expect(dlt.power_w).toEqual({ value: expect.closeTo(118.3, 6), unit: "W" });
      expect(latest(sub.messages, "water-cjt")).toEqual({
        water_total_m3: { value: expect.closeTo(56.78, 6), unit: "m3" },
      });
      await sub.waitFor(
        (m) => DEVICES.every((d) => eventsOf(m).some((e) => e.event === "device_online" && e.device === d)),
        10_000,
      );

      // The Modbus meter's transceiver breaks: noise instead of replies.
      line.meters.modbus.fault = "garbage";
      await sub.waitFor(
        (m) => alertsOf(m).some((a) => a.kind === "device_offline" && a.device === "power-mb"),
        20_000,
      );
      const mark = sub.messages.length;
      await sub.waitFor((m) => {
        const after = m.slice(mark);
        return telemetryOf(after, "power-dlt").length >= 2 && telemetryOf(after, "water-cjt").length >= 2;
      }, 20_000);
      const after = sub.messages.slice(mark);
      expect(telemetryOf(after, "power-mb")).toEqual([]);
      expect(latest(after, "power-dlt").energy_total_kwh?.value).toBeCloseTo(987.65, 6);
      expect(latest(after, "water-cjt").water_total_m3?.value).toBeCloseTo(56.78, 6);
      // Only the broken meter went offline.
      expect(
        alertsOf(sub.messages)
          .filter((a) => a.kind === "device_offline")
          .map((a) => `${a.device}:${a.state}`),
      ).toEqual(["power-mb:raised"]);
      expect(
        eventsOf(sub.messages)
          .filter((e) => e.event === "device_offline")
          .map((e) => e.device),
      ).toEqual(["power-mb"]);
      expect(sub.invalid).toEqual([]);
    }, 120_000);

    it("the pty closed mid-poll: all three go offline through the contract, and back online on a new pty at the same path, without a restart", async () => {
      const dev = join(dir as string, "ttyB-gw");
      const sim = join(dir as string, "ttyB-meters");
      // A 150 ms turnaround keeps each request at its meter long enough to kill socat under it.
      let line = await plugLine(dev, sim, 150);
      cleanups.push(() => unplugLine(line));
      const { agent, sub } = await startAgent(dev);

      await sub.waitFor(
        (m) => DEVICES.every((d) => eventsOf(m).some((e) => e.event === "device_online" && e.device === d)),
        20_000,
      );
      const seen = line.served.requests;
      await sub.waitFor(() => line.served.requests > seen, 15_000);
      await unplugLine(line);

      const raised = await sub.waitFor(
        (m) =>
          DEVICES.every(
            (d) =>
              alertsOf(m).some(
                (a) => a.kind === "device_offline" && a.device === d && a.state === "raised",
              ) && eventsOf(m).some((e) => e.event === "device_offline" && e.device === d),
          ),
        30_000,
      );
      for (const d of DEVICES) {
        expect(eventsOf(raised).filter((e) => e.event === "device_offline" && e.device === d)).toHaveLength(
          1,
        );
        const alert = alertsOf(raised).find((a) => a.kind === "device_offline" && a.device === d);
        expect(alert?.evidence.reason).toMatch(/consecutive polls failed/);
      }
      expect(agent.pipeline.devices()["power-mb"]?.availability).toBe("offline");

      // The adapter comes back at the same path: polling resumes by itself.
      line = await plugLine(dev, sim);
      const mark = sub.messages.length;
      await sub.waitFor(
        (m) =>
          DEVICES.every(
            (d) =>
              alertsOf(m).some(
                (a) => a.kind === "device_offline" && a.device === d && a.state === "cleared",
              ) &&
              eventsOf(m.slice(mark)).some((e) => e.event === "device_online" && e.device === d) &&
              telemetryOf(m.slice(mark), d).length > 0,
          ),
        45_000,
      );
      for (const d of DEVICES) {
        const states = alertsOf(sub.messages).filter((a) => a.kind === "device_offline" && a.device === d);
        expect(states.map((a) => a.state)).toEqual(["raised", "cleared"]);
        expect(states[1]?.cause).toBe("recovered");
        // One alert, raised then cleared: the same id.
        expect(states[1]?.alert).toBe(states[0]?.alert);
        expect(
          eventsOf(sub.messages)
            .filter((e) => e.device === d && (e.event === "device_online" || e.event === "device_offline"))
            .map((e) => e.event),
        ).toEqual(["device_online", "device_offline", "device_online"]);
      }
      expect(latest(sub.messages, "water-cjt").water_total_m3?.value).toBeCloseTo(56.78, 6);
      expect(line.served.requests).toBeGreaterThan(0);
      expect(sub.invalid).toEqual([]);
    }, 120_000);
  },
);
