import { SimulatedButton, SimulatedScanner } from "../../drivers/bthome/sim/index.js";
import { SimulatedLine, SimulatedModbusMeter } from "../../drivers/modbus/sim/index.js";
import { Agent } from "../../src/agent/agent.js";
import type { AgentHost } from "../../src/agent/host.js";
import type { LoadedConfig } from "../../src/config/devices.js";
import { parseConfig } from "../../src/config/load.js";
import { SystemClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import type { Logger } from "../../src/core/log.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import type { ModbusProfile } from "../../src/profiles/modbus.js";
import type { DeviceProfile } from "../../src/profiles/schema.js";
import { TEST_COMMANDS_YAML } from "./commands.js";

export const BUTTON_MAC = "A4:C1:38:00:12:34";
export const BUTTON_KEY = "231d39c1d7cc1ab1aee224cd096db932";

export interface SimHomeOptions {
  brokerUrl: string;
  mqttVersion?: "3.1.1" | "5";
  stateDir: string;
  home?: string;
  /** More lines of the cloud section; default: the test cloud's command key (TEST_COMMANDS_YAML). */
  extraCloud?: string;
  /** More keys of the outbox section, as YAML flow pairs (`max_size_mb: 4`). */
  extraOutbox?: string;
  /** More top-level sections, as YAML lines (`sms: { ... }`). */
  extra?: string;
}

/**
 * The test home's runtime directory, beside its state directory rather than the machine's /run/hearth:
 * used only while the state directory is read-only, and removed with it by the tests that make it so.
 */
export function runtimeDirOf(stateDir: string): string {
  return `${stateDir.replace(/\/+$/, "")}-run`;
}

/** A home's config with a Modbus electricity meter, a Modbus water meter and an encrypted button. */
export function simHomeConfig(o: SimHomeOptions): {
  config: LoadedConfig;
  profiles: ReadonlyMap<string, DeviceProfile>;
} {
  const yaml = `version: 1
home: { id: ${o.home ?? "test-home"}, timezone: Asia/Shanghai }
state_dir: ${o.stateDir}
cloud:
  brokers:
    - url: ${o.brokerUrl}
      mqtt_version: "${o.mqttVersion ?? "3.1.1"}"
  heartbeat: 1s
  backoff_initial: 100ms
  backoff_max: 1s
  replay_rate: 5000
  telemetry_interval: 0s
${o.extraCloud ?? TEST_COMMANDS_YAML}
outbox: { telemetry_batch: 50, telemetry_flush: 200ms, runtime_dir: "${runtimeDirOf(o.stateDir)}"${o.extraOutbox ? `, ${o.extraOutbox}` : ""} }
devices:
  - { id: meter-1, profile: eastron-sdm120, port: /dev/ttySIM0, unit_id: 1, baud: 9600, poll: 1s }
  - { id: water-1, profile: generic-modbus-water, port: /dev/ttySIM0, unit_id: 2, poll: 1s }
  - { id: button-1, profile: shelly-blu-button1, mac: "${BUTTON_MAC}", key: ${BUTTON_KEY} }
log_level: warn
${o.extra ?? ""}`;
  const cat = loadCatalogue();
  const parsed = parseConfig(yaml, "sim-home.yaml", cat.profiles);
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join("\n"));
  return { config: parsed.value, profiles: cat.profiles };
}

export interface SimDevices {
  line: SimulatedLine;
  /** Set once the agent has built its scanner. */
  button(): SimulatedButton;
  state: { power_w: number; energy_total_kwh: number; water_total_m3: number };
}

/** Simulated meters on one simulated RS-485 line and a simulated BLE button, for an AgentHost. */
export function simDevices(profiles: ReadonlyMap<string, DeviceProfile>): {
  devices: SimDevices;
  host: Pick<AgentHost, "serialBinding" | "bleScanner">;
} {
  const state = {
    power_w: 35,
    energy_total_kwh: 1200.5,
    water_total_m3: 42.125,
    voltage_v: 230.1,
    frequency_hz: 50,
  };
  const line = new SimulatedLine();
  line.addPort(
    "/dev/ttySIM0",
    new SimulatedModbusMeter({
      profile: profiles.get("eastron-sdm120") as ModbusProfile,
      unitId: 1,
      values: () => state,
    }),
    new SimulatedModbusMeter({
      profile: profiles.get("generic-modbus-water") as ModbusProfile,
      unitId: 2,
      values: () => state,
    }),
  );
  let button: SimulatedButton | undefined;
  return {
    devices: {
      line,
      state,
      button: () => {
        if (!button) throw new Error("the agent has not built its BLE scanner yet");
        return button;
      },
    },
    host: {
      serialBinding: async () => line,
      bleScanner: (consumer, adapter) => {
        const scanner = new SimulatedScanner({ consumer, adapter });
        button = new SimulatedButton({ mac: BUTTON_MAC, key: BUTTON_KEY, scanner, repeats: 5, rssi: -67 });
        return scanner;
      },
    },
  };
}

/**
 * The real Agent for the simulated home (simHomeConfig + simDevices) on the system clock: what the
 * integration tests and the crash child run. Not started.
 */
export function simHomeAgent(
  o: SimHomeOptions & {
    log: Logger;
    /** Whether the wall clock counts as synced (default: always). */
    synced?: () => boolean;
    /** Host parts to use instead of the simulated home's (a scanner, a version). */
    host?: Partial<AgentHost>;
  },
): {
  agent: Agent;
  devices: SimDevices;
  clock: SystemClock;
} {
  const { config, profiles } = simHomeConfig(o);
  const { devices, host } = simDevices(profiles);
  const clock = new SystemClock(o.synced ? { synced: o.synced } : {});
  const agent = new Agent({
    config,
    profiles,
    host: {
      clock,
      netClock: clock,
      ids: randomIds,
      log: o.log,
      version: "test",
      powerSupplyDir: null,
      ...host,
      ...o.host,
    },
  });
  return { agent, devices, clock };
}
