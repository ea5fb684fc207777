/**
 * Footprint of `hearth run` beside bare Node, measured in one run (issue 14): resident memory (RSS,
 * its peak, and PSS from smaps_rollup), CPU while idle-polling, and start-up to the first publish.
 *
 * Homes: three serial meters on one socat pseudo-terminal (a Modbus SDM120, a DL/T 645 meter and a
 * CJ/T 188 water meter, each simulator speaking the real bytes, polled every 3 s); the same with a BLE
 * button as well (node-ble and D-Bus loaded, talking to a BlueZ impersonated by python-dbusmock on a
 * private bus, adapter hci0 scanning; skipped with a reason where those tools are missing); and 10 and
 * 50 Modbus TCP meters on a loopback simulator (every 3 s); the agent publishes to a Mosquitto started
 * here. Baseline: `node -e 'setInterval(() => {}, 1000)'` on the same machine, in the same run.
 *
 * Run by tests/bench/footprint.ts (this table alone) and tests/bench/suite/run.ts (`npm run bench`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDetect } from "@serialport/bindings-cpp";
import { Cjt188Meter } from "../../../drivers/cjt188/sim/index.js";
import { Dlt645Meter } from "../../../drivers/dlt645/sim/index.js";
import { SimulatedModbusMeter, startModbusTcpServer } from "../../../drivers/modbus/sim/index.js";
import { servePort } from "../../../drivers/serial/sim/index.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import type { Dlt645Profile } from "../../../src/profiles/dlt645.js";
import type { ModbusProfile } from "../../../src/profiles/modbus.js";
import { BluezMock, haveDbusTools } from "../../helpers/bluez-mock-core.js";
import { startMosquitto, subscribe } from "../../helpers/brokers.js";
import { startPtyPair } from "../../helpers/pty-pair.js";
import { sleep } from "../../helpers/wait.js";
import { agentNodeFlags } from "./unit-flags.js";

/** Idle window after the first publish: what RSS and CPU are read over (set by `footprint`). */
let IDLE_MS = 60_000;
/** V8 flags for `hearth run` (not for the bare Node baseline): the unit's, or HEARTH_BENCH_NODE_FLAGS. */
const NODE_FLAGS = agentNodeFlags();
/** The `hearth` entry point measured (HEARTH_BENCH_ENTRY: another build of it, e.g. a bundle). */
const ENTRY = process.env.HEARTH_BENCH_ENTRY ?? "dist/src/cli/main.js";
const profiles = loadCatalogue().profiles;
const SDM120 = profiles.get("eastron-sdm120") as ModbusProfile;

interface Sample {
  rssKiB: number;
  hwmKiB: number;
  pssKiB: number | undefined;
  cpuTicks: number;
}

export function sample(pid: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? Number.NaN);
  let pssKiB: number | undefined;
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    pssKiB = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1]);
  } catch {
    pssKiB = undefined;
  }
  // utime and stime are fields 14 and 15, counted after the command's closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  return { rssKiB: kib("VmRSS"), hwmKiB: kib("VmHWM"), pssKiB, cpuTicks };
}

export interface Row {
  what: string;
  rssMiB: number;
  peakMiB: number;
  pssMiB: number | undefined;
  cpuPct: number;
  startupMs: number | undefined;
}

const MiB = (kib: number) => Math.round((kib / 1024) * 10) / 10;
const TICK_HZ = 100;

async function measure(what: string, child: ChildProcess, ready: Promise<number | undefined>): Promise<Row> {
  let startupMs: number | undefined;
  try {
    startupMs = await ready;
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  const pid = child.pid as number;
  const a = sample(pid);
  await sleep(IDLE_MS);
  const b = sample(pid);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  return {
    what,
    rssMiB: MiB(b.rssKiB),
    peakMiB: MiB(b.hwmKiB),
    pssMiB: b.pssKiB === undefined ? undefined : MiB(b.pssKiB),
    cpuPct: Math.round(((b.cpuTicks - a.cpuTicks) / TICK_HZ / (IDLE_MS / 1000)) * 1000) / 10,
    startupMs,
  };
}

function bareNode(): Promise<Row> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  return measure(
    "bare Node (setInterval)",
    child,
    sleep(2000).then(() => undefined),
  );
}

async function agent(what: string, yaml: (stateDir: string, broker: string) => string): Promise<Row> {
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), "hearth-footprint-"));
  const config = join(dir, "home.yaml");
  writeFileSync(config, yaml(join(dir, "state"), broker.url));
  const sub = await subscribe(broker.url, "hearth/v1/+/telemetry/#");
  const t0 = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, ENTRY, "run", "--config", config], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const ready = (async () => {
    const deadline = Date.now() + 60_000;
    while (sub.messages.length === 0) {
      if (Date.now() > deadline) throw new Error(`${what}: no telemetry within 60 s`);
      await sleep(20);
    }
    return Math.round(performance.now() - t0);
  })();
  try {
    return await measure(what, child, ready);
  } finally {
    await sub.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const header = (stateDir: string, broker: string) => `version: 1
home: { id: footprint, timezone: Asia/Shanghai }
state_dir: ${stateDir}
cloud:
  brokers:
    - url: ${broker}
      mqtt_version: "5"
log_level: warn
devices:
`;

/** Three simulated meters (Modbus, DL/T 645, CJ/T 188) answering on one pseudo-terminal line. */
export async function startSerialMeters(): Promise<{ dev: string; close(): Promise<void> }> {
  mkdirSync("/dev/hearth-bench", { recursive: true });
  // Per process: two benchmarks may run at once.
  const dev = `/dev/hearth-bench/rs485-${process.pid}`;
  const pty = await startPtyPair(dev, `/dev/hearth-bench/sim-${process.pid}`);
  const served = await servePort({
    binding: autoDetect(),
    path: `/dev/hearth-bench/sim-${process.pid}`,
    settings: { baud: 2400, data_bits: 8, parity: "even", stop_bits: 1 },
    devices: [
      new SimulatedModbusMeter({
        profile: SDM120,
        unitId: 7,
        values: () => ({ voltage_v: 231.5, power_w: 420 }),
      }),
      new Dlt645Meter({
        address: "000012345678",
        identifiers: (profiles.get("generic-dlt645-single-phase") as Dlt645Profile).dlt645.identifiers,
        values: () => ({ energy_total_kwh: 987.65, voltage_v: 228.4, current_a: 0.52, power_w: 118.3 }),
      }),
      new Cjt188Meter({ address: "00000805000001", values: () => ({ water_total_m3: 56.78 }) }),
    ],
    idleMs: 8,
  });
  return {
    dev,
    close: async () => {
      await served.close();
      await pty.kill();
    },
  };
}

/** The config's lines for the three meters of `startSerialMeters` (poll: the profile's own when absent). */
export function serialMeterDevices(dev: string, poll?: string): string {
  const p = poll === undefined ? "" : `, poll: ${poll}`;
  return `  - { id: power-mb, profile: eastron-sdm120, port: "${dev}", unit_id: 7, baud: 2400, parity: even${p} }
  - { id: power-dlt, profile: generic-dlt645-single-phase, port: "${dev}", address: "000012345678", baud: 2400, parity: even${p} }
  - { id: water-cjt, profile: generic-cjt188-cold-water, port: "${dev}", address: "00000805000001", baud: 2400, parity: even${p} }
`;
}

async function serialMeters(): Promise<Row> {
  const line = await startSerialMeters();
  try {
    return await agent(SERIAL_HOME, (s, b) => `${header(s, b)}${serialMeterDevices(line.dev, "3s")}`);
  } finally {
    await line.close();
  }
}

/** The row's name for the budget's home (issue 14: three serial meters, no BLE device). */
export const SERIAL_HOME = "hearth run, 3 serial meters";

/**
 * The three serial meters and a BLE button: BlueZ is python-dbusmock's on a private D-Bus (the agent
 * finds it through DBUS_SYSTEM_BUS_ADDRESS), with adapter hci0; the button sends nothing, so this is
 * what loading and running the BLE side costs while the home is quiet.
 */
async function serialMetersAndButton(): Promise<Row | undefined> {
  const tools = haveDbusTools();
  if (!tools.ok) {
    process.stderr.write(`footprint: no row with a BLE button: ${tools.why}\n`);
    return undefined;
  }
  const bluez = new BluezMock();
  const line = await startSerialMeters();
  try {
    await bluez.start();
    await bluez.addAdapter("hci0");
    return await agent(
      `${SERIAL_HOME} and a BLE button`,
      (s, b) =>
        `${header(s, b)}${serialMeterDevices(line.dev, "3s")}  - { id: button-1, profile: shelly-blu-button1, mac: "AA:BB:CC:DD:EE:01", insecure: true }\n`,
    );
  } finally {
    await line.close();
    await bluez.stop();
    delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
  }
}

async function tcpMeters(n: number): Promise<Row> {
  const meters = Array.from(
    { length: n },
    (_, i) =>
      new SimulatedModbusMeter({ profile: SDM120, unitId: i + 1, values: () => ({ voltage_v: 230 + i }) }),
  );
  const server = await startModbusTcpServer(meters);
  try {
    return await agent(`hearth run, ${n} Modbus TCP meters`, (s, b) => {
      let out = header(s, b);
      for (let i = 1; i <= n; i++)
        out += `  - { id: meter-${i}, profile: eastron-sdm120, port: "${server.url}", unit_id: ${i}, poll: 3s }\n`;
      return out;
    });
  } finally {
    await server.close();
  }
}

/**
 * Bare Node, then the homes: three serial meters, the same with a BLE button, ten Modbus TCP meters (and
 * fifty unless quick).
 */
export async function footprint(quick: boolean): Promise<{ idleMs: number; rows: Row[] }> {
  IDLE_MS = quick ? 20_000 : 60_000;
  const rows: Row[] = [];
  rows.push(await bareNode());
  rows.push(await serialMeters());
  const withButton = await serialMetersAndButton();
  if (withButton) rows.push(withButton);
  rows.push(await tcpMeters(10));
  if (!quick) rows.push(await tcpMeters(50));
  return { idleMs: IDLE_MS, rows };
}
