/**
 * Hearth beside a Node-RED gateway doing the same job (issue 14): Node-RED 4.1 with
 * node-red-contrib-modbus 5.23.3 (tests/bench/node-red/: the versions that run on Node 20), headless,
 * polling the same three simulated SDM120 meters over Modbus TCP every 3 s and publishing each reading
 * to the same Mosquitto at QoS 1; `hearth run` polls the same meters at the same rate.
 *
 * 1. Footprint, one process at a time beside bare Node: RSS, PSS, CPU per poll over an idle window,
 *    start-up to the first publish.
 * 2. An outage: the broker stops for a minute; 50 s in, both processes are killed (SIGKILL, as a power
 *    cut would); the broker and both come back. Counted: what each had produced during the outage
 *    (Node-RED: its polls; Hearth: its telemetry readings, and a test alert raised during the outage)
 *    against what reached the broker afterwards.
 *
 * Node-RED is installed on demand into a cache folder (`npm ci` from the lock in tests/bench/node-red/,
 * about a minute), never into the product.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatedModbusMeter, startModbusTcpServer } from "../../../drivers/modbus/sim/index.js";
import { packageRoot } from "../../../src/core/paths.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import type { ModbusProfile } from "../../../src/profiles/modbus.js";
import { startMosquitto, subscribe, type TestBroker } from "../../helpers/brokers.js";
import { sleep } from "../../helpers/wait.js";
import { sample } from "./footprint.js";
import { nodeRedFlow, nodeRedSettings } from "./node-red-flow.js";
import type { SuiteRow } from "./table.js";
import { agentNodeFlags } from "./unit-flags.js";

const ENTRY = process.env.HEARTH_BENCH_ENTRY ?? "dist/src/cli/main.js";
const flags = (v: string | undefined) => (v ?? "").split(" ").filter((f) => f !== "");
/** V8 flags for `hearth run` (the unit's, to measure what a gateway runs) and for Node-RED. */
const NODE_FLAGS = agentNodeFlags();
const NODE_RED_FLAGS = flags(process.env.HEARTH_BENCH_NODE_RED_FLAGS);
const UNITS = [1, 2, 3] as const;
const POLL_S = 3;
const MiB = (kib: number) => Math.round((kib / 1024) * 10) / 10;

/** The Node-RED install (cached by version): installs it the first time, with progress on stderr. */
export function ensureNodeRed(): string {
  const src = join(packageRoot(), "tests/bench/node-red");
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hearth-bench", "node-red-4.1.8");
  if (existsSync(join(dir, "node_modules/node-red/red.js"))) return dir;
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(src, "package.json"), join(dir, "package.json"));
  copyFileSync(join(src, "package-lock.json"), join(dir, "package-lock.json"));
  process.stderr.write(`bench: installing Node-RED into ${dir} (npm ci, about a minute)…\n`);
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--omit=dev"], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  return dir;
}

interface Peer {
  child: ChildProcess;
  /** Resolves with ms from spawn to the first message this process published. */
  firstPublish: Promise<number>;
}

function startNodeRed(
  install: string,
  work: string,
  modbusPort: number,
  brokerPort: number,
  seen: () => number,
): Peer {
  const userDir = join(work, "node-red");
  mkdirSync(userDir, { recursive: true });
  if (!existsSync(join(userDir, "node_modules")))
    symlinkSync(join(install, "node_modules"), join(userDir, "node_modules"));
  const flows = join(userDir, "flows.json");
  writeFileSync(
    flows,
    JSON.stringify(nodeRedFlow({ modbusPort, brokerPort, unitIds: UNITS, pollS: POLL_S })),
  );
  const settings = join(userDir, "settings.js");
  writeFileSync(settings, nodeRedSettings(flows, userDir));
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...NODE_RED_FLAGS,
      join(install, "node_modules/node-red/red.js"),
      "--settings",
      settings,
      "--userDir",
      userDir,
    ],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  return {
    child,
    firstPublish: until(() => seen() > 0, "Node-RED's first publish").then(() => performance.now() - t0),
  };
}

function hearthYaml(stateDir: string, brokerUrl: string, modbusUrl: string): string {
  let y = `version: 1
home: { id: peer, timezone: Asia/Shanghai }
state_dir: ${stateDir}
cloud:
  brokers: [ { url: "${brokerUrl}", mqtt_version: "5" } ]
  telemetry_interval: 0s
  backoff_max: 2s
log_level: error
detection: { gateway_power: "off" }
devices:
`;
  for (const u of UNITS)
    y += `  - { id: meter-${u}, profile: eastron-sdm120, port: "${modbusUrl}", unit_id: ${u}, poll: ${POLL_S}s }\n`;
  return y;
}

function startHearth(config: string, seen: () => number): Peer {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, ENTRY, "run", "--config", config], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return {
    child,
    firstPublish: until(() => seen() > 0, "Hearth's first publish").then(() => performance.now() - t0),
  };
}

async function until(cond: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`node-red peer: no ${what} within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await exited;
}

interface Footprint {
  rssMiB: number;
  pssMiB: number | undefined;
  cpuMsPerPoll: number;
  startupMs: number | undefined;
}

async function footprintOf(
  peer: Peer | { child: ChildProcess; firstPublish: undefined },
  idleMs: number,
): Promise<Footprint> {
  const first = peer.firstPublish;
  const startupMs = first === undefined ? undefined : Math.round(await first);
  if (first === undefined) await sleep(2000);
  const pid = peer.child.pid as number;
  await sleep(5000);
  const a = sample(pid);
  await sleep(idleMs);
  const b = sample(pid);
  await stop(peer.child);
  const polls = UNITS.length * (idleMs / 1000 / POLL_S);
  return {
    rssMiB: MiB(b.rssKiB),
    pssMiB: b.pssKiB === undefined ? undefined : MiB(b.pssKiB),
    cpuMsPerPoll: Math.round((((b.cpuTicks - a.cpuTicks) * 10) / polls) * 100) / 100,
    startupMs,
  };
}

export interface PeerResult {
  bare: Footprint;
  hearth: Footprint;
  nodeRed: Footprint;
  outage: {
    outageS: number;
    nodeRed: { produced: number; arrived: number };
    hearthReadings: { produced: number; arrived: number };
    hearthAlerts: { raised: number; arrived: number };
  };
}

export async function nodeRedPeer(quick: boolean): Promise<PeerResult> {
  const install = ensureNodeRed();
  const idleMs = quick ? 20_000 : 60_000;
  const SDM120 = loadCatalogue().profiles.get("eastron-sdm120") as ModbusProfile;
  const meters = UNITS.map(
    (u) =>
      new SimulatedModbusMeter({
        profile: SDM120,
        unitId: u,
        values: () => ({ voltage_v: 229 + u, power_w: 100 * u }),
      }),
  );
  const modbus = await startModbusTcpServer(meters);
  const modbusPort = Number(new URL(modbus.url).port);
  const work = mkdtempSync(join(tmpdir(), "hearth-peer-"));
  let broker: TestBroker = await startMosquitto();
  const brokerPort = Number(new URL(broker.url).port);
  try {
    const nr = await subscribe(broker.url, "nodered/#");
    const hs = await subscribe(broker.url, "hearth/v1/+/telemetry");
    const config = join(work, "home.yaml");
    writeFileSync(config, hearthYaml(join(work, "state"), broker.url, modbus.url));

    const bare = await footprintOf(
      {
        child: spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" }),
        firstPublish: undefined,
      },
      idleMs,
    );
    const nodeRed = await footprintOf(
      startNodeRed(install, work, modbusPort, brokerPort, () => nr.invalid.length + nr.messages.length),
      idleMs,
    );
    const hearth = await footprintOf(
      startHearth(config, () => hs.messages.length),
      idleMs,
    );
    await nr.close();
    await hs.close();

    // The outage: both running and publishing, the broker gone for a minute, both killed 50 s in.
    const outageS = 60;
    const nrLive = startNodeRed(install, work, modbusPort, brokerPort, () => 1);
    const hLive = startHearth(config, () => 1);
    await sleep(15_000);
    await broker.close();
    const down = Date.now();
    await sleep(5_000);
    const alert = spawn(process.execPath, [ENTRY, "test-alert", "--config", config, "--timeout", "3s"], {
      stdio: "ignore",
    });
    await new Promise((r) => alert.once("exit", r));
    await sleep(45_000);
    await stop(nrLive.child, "SIGKILL");
    await stop(hLive.child, "SIGKILL");
    const killed = Date.now();
    await sleep((outageS - 50) * 1000);
    broker = await startMosquitto({ port: brokerPort });
    const after = await subscribe(broker.url, "#");
    const nrAgain = startNodeRed(install, work, modbusPort, brokerPort, () => 1);
    const hAgain = startHearth(config, () => 1);
    await sleep(quick ? 30_000 : 60_000);
    await stop(nrAgain.child);
    await stop(hAgain.child);
    const inOutage = (iso: unknown) =>
      typeof iso === "string" && Date.parse(iso) >= down && Date.parse(iso) < killed;
    const nrArrived = after.invalid.filter(
      (m) => m.topic.startsWith("nodered/") && inOutage((JSON.parse(m.payload) as { ts?: string }).ts),
    ).length;
    // One telemetry message per meter and poll (telemetry_interval 0s), stamped with when it was read.
    const hReadings = after.messages.filter(
      (m) => m.topic.endsWith("/telemetry") && inOutage((m.envelope.body as { at?: string }).at),
    ).length;
    const hAlerts = after.messages.filter(
      (m) => m.topic.endsWith("/alert") && inOutage((m.envelope.body as { since?: string }).since),
    ).length;
    await after.close();
    const polls = Math.floor(((killed - down) / 1000 / POLL_S) * UNITS.length);
    return {
      bare,
      hearth,
      nodeRed,
      outage: {
        outageS,
        nodeRed: { produced: polls, arrived: nrArrived },
        hearthReadings: { produced: polls, arrived: hReadings },
        hearthAlerts: { raised: alert.exitCode === null ? 0 : 1, arrived: hAlerts },
      },
    };
  } finally {
    await broker.close().catch(() => undefined);
    await modbus.close();
    rmSync(work, { recursive: true, force: true });
  }
}

export function nodeRedRows(r: PeerResult): SuiteRow[] {
  const above = (f: Footprint) => f.rssMiB - r.bare.rssMiB;
  const ratio = above(r.nodeRed) / above(r.hearth);
  return [
    {
      measure: "memory above bare Node, 3 Modbus TCP meters every 3 s (RSS; PSS in brackets)",
      ours: `${above(r.hearth).toFixed(1)} MiB (${r.hearth.rssMiB} RSS, ${r.hearth.pssMiB} PSS)`,
      baseline: `${above(r.nodeRed).toFixed(1)} MiB (Node-RED: ${r.nodeRed.rssMiB} RSS, ${r.nodeRed.pssMiB} PSS)`,
      ratio: ratio,
      budget: "Node-RED's ≥ 2× ours",
      met: ratio >= 2,
    },
    {
      measure: "CPU per poll; start-up to first publish",
      ours: `${r.hearth.cpuMsPerPoll} ms; ${r.hearth.startupMs} ms`,
      baseline: `${r.nodeRed.cpuMsPerPoll} ms; ${r.nodeRed.startupMs} ms (Node-RED)`,
      ratio: r.nodeRed.cpuMsPerPoll > 0 ? r.hearth.cpuMsPerPoll / r.nodeRed.cpuMsPerPoll : undefined,
    },
    {
      measure: `broker down ${r.outage.outageS} s, both killed 50 s in: readings of the outage that arrived`,
      ours: `${r.outage.hearthReadings.arrived} of ${r.outage.hearthReadings.produced}; alerts ${r.outage.hearthAlerts.arrived} of ${r.outage.hearthAlerts.raised}`,
      baseline: `${r.outage.nodeRed.arrived} of ${r.outage.nodeRed.produced} (Node-RED)`,
      ratio: undefined,
      budget: "ours: no alert or event lost",
      met: r.outage.hearthAlerts.arrived >= r.outage.hearthAlerts.raised && r.outage.hearthAlerts.raised > 0,
    },
  ];
}
