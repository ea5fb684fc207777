/**
 * Bytes written to disk per day by `hearth run` (issue 14: SD cards wear out), for a home with three
 * serial meters, a call button and two sensors (a motion sensor and a door contact), at the real
 * cadence: the profiles' own poll intervals and the config's default telemetry interval, on the
 * wall clock (an accelerated clock would change how rows are batched).
 *
 * Measured: `write_bytes` of /proc/<pid>/io (what the process caused to reach the block device: the
 * outbox, its WAL and checkpoints, the learned models), over a window after start-up, scaled to a
 * day; beside it, the bytes of the messages the agent published in the same window (topic and payload,
 * as the subscriber received them). The button and the sensors come through Zigbee2MQTT (a fake
 * publishing the payloads Zigbee2MQTT's device pages show); a BLE button writes the same rows.
 * The state directory is on the machine's real disk (/var/tmp): on tmpfs `write_bytes` stays 0, and the
 * run fails rather than report that.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { startMosquitto, subscribe } from "../../helpers/brokers.js";
import { sleep } from "../../helpers/wait.js";
import { header, serialMeterDevices, startSerialMeters } from "./footprint.js";
import { agentNodeFlags } from "./unit-flags.js";

const ENTRY = process.env.HEARTH_BENCH_ENTRY ?? "dist/src/cli/main.js";
const BASE = "zigbee2mqtt";
const DEVICES = {
  motion: { ieee: "0x00158d0001a2b3c4", name: "hall motion", profile: "aqara-rtcgq11lm" },
  door: { ieee: "0x00158d0002b3c4d5", name: "front door", profile: "aqara-mccgq11lm" },
  button: { ieee: "0x00158d0003c4d5e6", name: "call button", profile: "aqara-wxkg11lm" },
};

export interface DiskWrites {
  windowS: number;
  /** write_bytes over the window, scaled to 24 h. */
  diskBytesPerDay: number;
  /** Topic + payload bytes the agent published over the window, scaled to 24 h. */
  messageBytesPerDay: number;
  messages: number;
  /** The window's messages by type (the topic's last level). */
  byType: Record<string, number>;
  /** The state directory's size at the end (outbox, WAL, models). */
  stateBytes: number;
  /**
   * write_bytes from the window's end to the agent's exit on SIGTERM: the last commit and SQLite's
   * checkpoint at close, which copies every page the WAL holds since start-up into the file. A window
   * shorter than the autocheckpoint's interval (1,000 frames, many hours here) holds no checkpoint of
   * its own: this is its upper bound (it also holds start-up's pages). Undefined if the exit was missed.
   */
  stopBytes?: number;
}

function writeBytes(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  return Number(/^write_bytes:\s+(\d+)/m.exec(io)?.[1]);
}

/**
 * SIGTERM, then write_bytes at the agent's exit: read from the zombie, before this process reaps it (the
 * reaping waits for the event loop, which this loop holds; /proc/<pid>/io of a zombie still answers).
 */
function writeBytesAtExit(child: ChildProcess, pid: number): number | undefined {
  child.kill("SIGTERM");
  const deadline = Date.now() + 30_000;
  let last: number | undefined;
  while (Date.now() < deadline) {
    try {
      const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
      last = writeBytes(pid);
      if (state === "Z") return last;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function dirBytes(dir: string): number {
  return Number(spawnSync("du", ["-sb", dir], { encoding: "utf8" }).stdout.split("\t")[0]);
}

/** What a Zigbee2MQTT on the gateway has retained: bridge online and the devices with their names. */
async function fakeZigbee2mqtt(url: string): Promise<mqtt.MqttClient> {
  const z2m = await mqtt.connectAsync(url, { clientId: "bench-zigbee2mqtt", reconnectPeriod: 0 });
  await z2m.publishAsync(`${BASE}/bridge/state`, JSON.stringify({ state: "online" }), {
    qos: 1,
    retain: true,
  });
  const devices = Object.values(DEVICES).map((d, i) => ({
    ieee_address: d.ieee,
    type: "EndDevice",
    network_address: 1000 + i,
    supported: true,
    friendly_name: d.name,
    interview_completed: true,
  }));
  await z2m.publishAsync(`${BASE}/bridge/devices`, JSON.stringify(devices), { qos: 1, retain: true });
  return z2m;
}

/**
 * An ordinary day's traffic, compressed only in that every kind of message comes within the window:
 * the motion sensor reports occupancy every 2 min (true, then false 90 s later as the Aqara does), the
 * door opens and closes every 10 min, every device reports battery and link quality with its messages.
 */
function activity(z2m: mqtt.MqttClient): () => void {
  const publish = (name: string, body: object) =>
    z2m.publish(`${BASE}/${name}`, JSON.stringify({ battery: 97, linkquality: 120, ...body }), { qos: 0 });
  const timers = [
    setInterval(() => {
      publish(DEVICES.motion.name, { occupancy: true, illuminance: 40 });
      setTimeout(() => publish(DEVICES.motion.name, { occupancy: false, illuminance: 40 }), 90_000).unref();
    }, 120_000),
    setInterval(() => {
      publish(DEVICES.door.name, { contact: false });
      setTimeout(() => publish(DEVICES.door.name, { contact: true }), 20_000).unref();
    }, 600_000),
    setInterval(() => publish(DEVICES.button.name, { voltage: 3005 }), 3_600_000),
  ];
  publish(DEVICES.motion.name, { occupancy: true, illuminance: 40 });
  return () => {
    for (const t of timers) clearInterval(t);
  };
}

/**
 * Waits out the window. With `HEARTH_BENCH_DISK_TRACE=1`, prints a JSON line to stderr every minute
 * (minutes into the window, bytes written so far, messages so far): whether the bytes come steadily or
 * in bursts (a prune, a checkpoint, a model saved) is what a window's total cannot say.
 */
async function traceWindow(
  pid: number,
  windowMs: number,
  t0: number,
  w0: number,
  messages: () => number,
): Promise<void> {
  if (process.env.HEARTH_BENCH_DISK_TRACE !== "1") return sleep(windowMs);
  for (let minute = 1; Date.now() - t0 < windowMs; minute++) {
    await sleep(Math.max(0, Math.min(t0 + minute * 60_000, t0 + windowMs) - Date.now()));
    const line = { minute, written: writeBytes(pid) - w0, messages: messages() };
    process.stderr.write(`disk trace ${JSON.stringify(line)}\n`);
  }
}

/**
 * `HEARTH_BENCH_DISK_WINDOW_S` sets the window (seconds) instead of 2 or 30 minutes,
 * `HEARTH_BENCH_TELEMETRY_FLUSH` (a duration, e.g. `60s`) gives the home that `outbox.telemetry_flush`,
 * `HEARTH_BENCH_RETENTION` its `outbox.retention` (e.g. `10m`: pruning as a home does after a week), and
 * `HEARTH_BENCH_KEEP_STATE=1` keeps the state directory (its path on stderr) to look at the outbox after
 * the run, `HEARTH_BENCH_DISK_TRACE=1` traces the window minute by minute: all for finding where the
 * bytes go (docs/BENCHMARKS.md), not for the suite's figure.
 */
export async function diskWrites(quick: boolean): Promise<DiskWrites> {
  const windowS = Number(process.env.HEARTH_BENCH_DISK_WINDOW_S);
  const windowMs = windowS > 0 ? windowS * 1000 : quick ? 2 * 60_000 : 30 * 60_000;
  const keep = process.env.HEARTH_BENCH_KEEP_STATE === "1";
  const broker = await startMosquitto();
  const line = await startSerialMeters();
  // /var/tmp is on the root filesystem (a real disk here); /tmp may be tmpfs elsewhere.
  const dir = mkdtempSync("/var/tmp/hearth-disk-");
  const z2m = await fakeZigbee2mqtt(broker.url);
  const stopActivity = activity(z2m);
  const config = join(dir, "home.yaml");
  let devices = serialMeterDevices(line.dev);
  for (const d of Object.values(DEVICES))
    devices += `  - { id: ${d.name.replace(" ", "-")}, profile: ${d.profile}, ieee_address: "${d.ieee}" }\n`;
  const outbox = [
    ["telemetry_flush", process.env.HEARTH_BENCH_TELEMETRY_FLUSH],
    ["retention", process.env.HEARTH_BENCH_RETENTION],
  ].filter(([, v]) => v);
  writeFileSync(
    config,
    `${header(join(dir, "state"), broker.url)}${devices}zigbee2mqtt: { url: "${broker.url}", base_topic: ${BASE} }\n${
      outbox.length > 0 ? `outbox: { ${outbox.map(([k, v]) => `${k}: ${v}`).join(", ")} }\n` : ""
    }`,
  );
  const sub = await subscribe(broker.url, "hearth/v1/#");
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, [...agentNodeFlags(), ENTRY, "run", "--config", config], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    const deadline = Date.now() + 90_000;
    // Up: its first status message (telemetry waits for the telemetry interval, 5 min by default).
    while (sub.messages.length === 0) {
      if (Date.now() > deadline) throw new Error("disk writes: no message from the agent within 90 s");
      await sleep(100);
    }
    // Start-up (the outbox created, the first models written) is not a day's work.
    await sleep(30_000);
    const pid = child.pid as number;
    const w0 = writeBytes(pid);
    const m0 = sub.messages.length;
    const t0 = Date.now();
    await traceWindow(pid, windowMs, t0, w0, () => sub.messages.length - m0);
    const w1 = writeBytes(pid);
    const elapsed = Date.now() - t0;
    const wExit = writeBytesAtExit(child, pid);
    const window = sub.messages.slice(m0);
    const msgBytes = window.reduce((n, m) => n + Buffer.byteLength(m.topic) + m.packet.payload.length, 0);
    const scale = 86_400_000 / elapsed;
    const byType: Record<string, number> = {};
    for (const m of window) {
      const type = m.topic.slice(m.topic.lastIndexOf("/") + 1);
      byType[type] = (byType[type] ?? 0) + 1;
    }
    // A short window may hold no commit (telemetry the cloud acknowledged waits up to outbox.telemetry_hold);
    // the stop commits it, so the stop tells a real disk from tmpfs.
    const end = wExit ?? w1;
    if (end - w0 <= 0)
      throw new Error(`disk writes: write_bytes did not grow (${w0} → ${end}): is ${dir} on tmpfs?`);
    return {
      windowS: Math.round(elapsed / 1000),
      diskBytesPerDay: Math.round((w1 - w0) * scale),
      messageBytesPerDay: Math.round(msgBytes * scale),
      messages: window.length,
      byType,
      stateBytes: dirBytes(join(dir, "state")),
      ...(wExit === undefined ? {} : { stopBytes: wExit - w1 }),
    };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child?.once("exit", r));
    }
    stopActivity();
    await z2m.endAsync();
    await sub.close();
    await broker.close();
    await line.close();
    if (keep) process.stderr.write(`disk writes: state kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
