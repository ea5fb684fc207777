import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatedButton, SimulatedScanner } from "../../drivers/bthome/sim/index.js";
import { SimulatedLine, SimulatedModbusMeter } from "../../drivers/modbus/sim/index.js";
import { Agent } from "../agent/agent.js";
import { startEmbeddedBroker } from "../broker/embedded.js";
import { parseConfig } from "../config/load.js";
import type { Envelope } from "../contract/messages.js";
import { ScaledClock, SystemClock } from "../core/clock.js";
import { rawPublicKey } from "../core/ed25519-keys.js";
import { errorMessage } from "../core/errors.js";
import { randomIds } from "../core/ids.js";
import type { Logger } from "../core/log.js";
import { packageVersion } from "../core/paths.js";
import { HOUR_MS, SECOND_MS } from "../core/time.js";
import { formatProblem } from "../core/yaml-validate.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import type { ModbusProfile } from "../profiles/modbus.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { ConsoleCloud, hours } from "./console-cloud.js";
import { SimulatedMeters, SimulatedResident } from "./resident.js";

/** The cloud end the demo runs on its broker (the real receiver; src/cli composes it). */
export interface DemoReceiver {
  /** Its console's address, http://127.0.0.1:PORT/. */
  readonly url: string;
  stop(): Promise<void>;
}
export type DemoReceiverStart = (o: {
  brokerUrl: string;
  stateDir: string;
  /** Signs its commands; the gateway trusts only its public half. */
  key: KeyObject;
  log: Logger;
  write: (line: string) => void;
}) => Promise<DemoReceiver>;

export interface DemoOptions {
  /** Simulated seconds per real second. */
  speed: number;
  forever: boolean;
  stateDir?: string;
  log: Logger;
  write: (line: string) => void;
  /** Starts the receiver that stores and acknowledges the home's alerts. */
  receiver: DemoReceiverStart;
  /** Give up (exit 1) when the script has not completed after this many real ms. */
  deadlineMs?: number;
}

const HOME = "demo-home";
const TZ = "Asia/Shanghai";
const BUTTON_MAC = "A4:C1:38:00:12:34";
const BUTTON_KEY = "231d39c1d7cc1ab1aee224cd096db932";

/** Today at hh:mm in the demo home's zone. */
function todayAt(hour: number, minute = 0): number {
  const now = new Date();
  const ymd = new Intl.DateTimeFormat("en-CA", {
    timeZone: TZ,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
  return Date.parse(`${ymd}T${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:00+08:00`);
}

/** The button's advert interval the demo judges its silence on (see demoProfiles). */
const DEMO_BUTTON_INTERVAL_S = 600;

/**
 * The catalogue, with the button judged on a longer advert interval. Its offline limit is 2.5 × the
 * interval + 30 s (drivers/bthome/receiver.ts): 3 simulated minutes for its 60 s, which at 1200× is
 * 150 ms of real time, shorter than an event-loop pause on a busy machine, so the button would flap
 * offline between two beacons. Ten minutes is 1.3 s of real time; the beacons still come every 20 s.
 */
function demoProfiles(all: ReadonlyMap<string, DeviceProfile>): ReadonlyMap<string, DeviceProfile> {
  const out = new Map(all);
  const button = all.get("shelly-blu-button1");
  if (button?.protocol === "bthome")
    out.set("shelly-blu-button1", {
      ...button,
      bthome: { ...button.bthome, advertising_interval_s: DEMO_BUTTON_INTERVAL_S },
    });
  return out;
}

export function demoConfigYaml(brokerUrl: string, stateDir: string, commandKey: string): string {
  return `# The demo home, written by \`hearth demo\`. A real home's config looks the same.
version: 1
home:
  id: ${HOME}
  timezone: ${TZ}
state_dir: ${stateDir}
cloud:
  brokers:
    - url: ${brokerUrl}
      mqtt_version: "3.1.1"   # the embedded demo broker (aedes) speaks 3.1.1; Mosquitto speaks 5 too
  heartbeat: 30s
  backoff_initial: 200ms
  backoff_max: 5s
  replay_rate: 500
  telemetry_interval: 15m
  commands:
    public_key: ${commandKey}   # the demo receiver's key, made for this run; \`hearth keygen\` makes a real one
devices:
  - id: meter-1          # electricity: Eastron SDM120, Modbus RTU unit 1
    profile: eastron-sdm120
    port: /dev/ttySIM0
    unit_id: 1
    baud: 9600           # set on the meter's menu to match the water meter on the same line
    poll: 5m
  - id: water-1          # water: Modbus water meter, unit 2 on the same RS-485 line
    profile: generic-modbus-water
    port: /dev/ttySIM0
    unit_id: 2
    poll: 5m
  - id: button-1         # call button: Shelly BLU Button1, BTHome v2, encrypted
    profile: shelly-blu-button1
    mac: "${BUTTON_MAC}"
    key: ${BUTTON_KEY}
detection:
  sleep_window: { start: "22:00", end: "06:30" }
  max_silence_day: 4h
  max_silence_night: 12h
  escalate_after: 1h
log_level: warn
`;
}

/**
 * The demo: an embedded broker, a simulated home (resident, two meters on one simulated RS-485 line,
 * an encrypted BLE call button), the real agent on an accelerated clock, the real receiver (which
 * stores and acknowledges the alerts) and a console cloud that prints every message. Script: a morning
 * of routine, a call at 10:00 (acknowledged by the receiver), a fall at 14:30, and the inactivity alert
 * four hours later. Returns the exit code.
 */
export async function runDemo(o: DemoOptions): Promise<number> {
  const write = o.write;
  const broker = await startEmbeddedBroker({ host: "127.0.0.1", port: 0 });
  const ownDir = o.stateDir === undefined;
  const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), "hearth-demo-"));
  const cfgFile = join(stateDir, "demo-home.yaml");
  // The receiver signs its commands with a key made for this run; the gateway trusts only it.
  const receiverKey = generateKeyPairSync("ed25519");
  const yaml = demoConfigYaml(broker.url, stateDir, rawPublicKey(receiverKey.publicKey));
  writeFileSync(cfgFile, yaml, { mode: 0o600 });
  const catalogue = loadCatalogue();
  const parsed = parseConfig(yaml, cfgFile, catalogue.profiles);
  if (!parsed.ok) {
    for (const p of parsed.problems) write(`demo config problem: ${formatProblem(p)}`);
    await broker.close();
    return 1;
  }
  const config = parsed.value;

  const start = todayAt(6, 0);
  const clock = new ScaledClock(o.speed, start);
  const resident = new SimulatedResident({ timeZone: TZ, incidentAtMs: todayAt(14, 30) });
  const meters = new SimulatedMeters(resident, start);
  const line = new SimulatedLine();
  const profile = (id: string) => catalogue.profiles.get(id) as ModbusProfile;
  line.addPort(
    "/dev/ttySIM0",
    new SimulatedModbusMeter({
      profile: profile("eastron-sdm120"),
      unitId: 1,
      values: () => meters.electricity(clock.wallMs()),
    }),
    new SimulatedModbusMeter({
      profile: profile("generic-modbus-water"),
      unitId: 2,
      values: () => meters.water(clock.wallMs()),
    }),
  );
  let button: SimulatedButton | undefined;

  const agent = new Agent({
    config,
    profiles: demoProfiles(catalogue.profiles),
    host: {
      clock,
      netClock: new SystemClock(),
      ids: randomIds,
      log: o.log,
      version: packageVersion(),
      // A simulated home: the power of the machine running the demo is not its mains.
      powerSupplyDir: null,
      serialBinding: async () => line,
      bleScanner: (consumer, adapter) => {
        const scanner = new SimulatedScanner({ consumer, adapter });
        button = new SimulatedButton({ mac: BUTTON_MAC, key: BUTTON_KEY, scanner, repeats: 5 });
        return scanner;
      },
    },
  });

  let receiver: DemoReceiver;
  try {
    receiver = await o.receiver({
      brokerUrl: broker.url,
      stateDir,
      key: receiverKey.privateKey,
      log: o.log,
      write,
    });
  } catch (e) {
    write(`demo: the receiver did not start: ${errorMessage(e)}`);
    await broker.close();
    if (ownDir) rmSync(stateDir, { recursive: true, force: true });
    return 1;
  }
  const cloud = new ConsoleCloud({ url: broker.url, home: HOME, telemetry: "hourly", write });
  await cloud.start();
  write(`demo: broker ${broker.url}, state in ${stateDir}, config ${cfgFile}`);
  write(`demo: the receiver's console: ${receiver.url}`);
  if (o.forever)
    write(
      `demo: in another terminal, \`npx hearth test-alert --state-dir ${stateDir}\` sends a test alert and waits for the receiver's ack`,
    );
  write(
    `demo: simulated day from 06:00 at ${o.speed}× (one simulated hour every ${(HOUR_MS / SECOND_MS / o.speed).toFixed(1)} s)`,
  );
  write(
    "demo: the resident presses the call button at 10:00 and falls at 14:30; the receiver acknowledges each alert it stores",
  );

  let callAlert: string | undefined;
  let callAcked = false;
  let inactivityRaised: Envelope<"alert"> | undefined;
  const done = new Promise<void>((resolve) => {
    cloud.on("message", (env) => {
      if (env.type !== "alert") return;
      const b = (env as Envelope<"alert">).body;
      if (b.kind === "call" && b.state === "raised") callAlert = b.alert;
      if (b.kind === "call" && b.state === "acknowledged" && b.alert === callAlert) callAcked = true;
      if (b.kind === "inactivity" && b.state === "raised") inactivityRaised = env as Envelope<"alert">;
      if (callAcked && inactivityRaised && !o.forever) resolve();
    });
  });

  await agent.start();
  button?.beacon();
  const callAt = todayAt(10, 0);
  const pressTimer = setTimeout(
    () => button?.press("press"),
    Math.max(0, (callAt - clock.wallMs()) / o.speed),
  );
  // A real button sends a status advert (battery) every minute or so; without it, it would go offline.
  const beacon = clock.setInterval(() => button?.beacon(), 20 * SECOND_MS);

  const deadline = o.deadlineMs ?? 85 * SECOND_MS;
  let timedOut = false;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let onSignal: (() => void) | undefined;
  await Promise.race([
    done,
    new Promise<void>((resolve) => {
      onSignal = resolve;
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    }),
    o.forever
      ? new Promise<void>(() => {})
      : new Promise<void>((resolve) => {
          deadlineTimer = setTimeout(() => {
            timedOut = true;
            resolve();
          }, deadline);
        }),
  ]);
  clearTimeout(deadlineTimer);
  if (onSignal) {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  clearTimeout(pressTimer);
  // Let the last messages arrive before tearing down. The button keeps beaconing until the agent has
  // stopped: 300 ms are six simulated minutes, past its offline limit (2.5 × 60 s + 30 s), and a
  // silenced button would end the day with a device_offline the story does not have.
  await new Promise((r) => setTimeout(r, 300));
  await agent.stop();
  beacon.cancel();
  await cloud.stop();
  await receiver.stop();
  await broker.close();
  if (ownDir) rmSync(stateDir, { recursive: true, force: true });

  const n = cloud.received.length;
  write(`demo: the cloud received ${n} messages`);
  if (timedOut) {
    write(
      `demo: FAILED: the script did not complete within ${deadline / SECOND_MS} s (call acknowledged: ${callAcked}, inactivity raised: ${inactivityRaised !== undefined})`,
    );
    return 1;
  }
  if (inactivityRaised) {
    const ev = inactivityRaised.body.evidence;
    write(
      `demo: done: call acknowledged, inactivity raised after ${hours(ev.silence_s as number)} h of silence (threshold ${hours(ev.threshold_s as number)} h)`,
    );
  }
  return 0;
}
