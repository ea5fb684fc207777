/**
 * The call button end to end over the real BLE stack: node-ble's real code (the agent's default
 * BluezScanner, no `bleScanner` injected) against a BlueZ impersonated by python-dbusmock on a private
 * D-Bus, the real Agent with its SQLite outbox, a real Mosquitto on a free loopback port, and a test
 * "cloud" subscriber that validates every envelope. Skips with the reason where dbus-daemon,
 * python3-dbusmock or mosquitto are missing; fails under CI=true.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeObjects, encodeServiceData } from "../../drivers/bthome/codec.js";
import { keyFromHex } from "../../drivers/bthome/encryption.js";
import type { DeviceStats } from "../../drivers/bthome/receiver.js";
import { Agent } from "../../src/agent/agent.js";
import { parseConfig } from "../../src/config/load.js";
import type { AlertBody, Envelope } from "../../src/contract/messages.js";
import { SystemClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import type { Logger } from "../../src/core/log.js";
import { packageRoot } from "../../src/core/paths.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { BluezMock, bluezMockAvailable, waitFor } from "../helpers/bluez-mock.js";
import {
  mosquittoAvailable,
  type Received,
  startMosquitto,
  subscribe,
  type TestBroker,
  type TestSubscriber,
} from "../helpers/brokers.js";

const run = bluezMockAvailable() && mosquittoAvailable();

const KEY = "231d39c1d7cc1ab1aee224cd096db932";
const DEVICE = "call-button";
const MAIN = join(packageRoot(), "dist/src/cli/main.js");
const catalogue = loadCatalogue();

/** A home with one encrypted Shelly BLU Button1 on hci0 and no meters. */
function homeConfig(o: { broker: string; home: string; stateDir: string; mac: string }) {
  const yaml = `version: 1
home: { id: ${o.home}, timezone: Asia/Shanghai }
state_dir: ${o.stateDir}
cloud:
  brokers:
    - url: ${o.broker}
      mqtt_version: "5"
  backoff_initial: 100ms
  backoff_max: 1s
  replay_rate: 5000
outbox: { telemetry_batch: 50, telemetry_flush: 200ms }
devices:
  - { id: ${DEVICE}, profile: shelly-blu-button1, mac: "${o.mac}", key: ${KEY}, adapter: hci0 }
log_level: info
`;
  const parsed = parseConfig(yaml, "ble-home.yaml", catalogue.profiles);
  if (!parsed.ok) throw new Error(parsed.problems.map(formatProblem).join("\n"));
  return parsed.value;
}

/** A pino logger whose lines a test can read back. */
function captureLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: "info" },
    new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split("\n"))
          if (l.trim() !== "") lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  );
  return { log, lines };
}

function startAgent(o: { broker: string; home: string; stateDir: string; mac: string; log: Logger }): Agent {
  const clock = new SystemClock();
  // No bleScanner in the host: the agent builds its real BluezScanner (node-ble over the system bus).
  return new Agent({
    config: homeConfig(o),
    profiles: catalogue.profiles,
    host: { clock, netClock: clock, ids: randomIds, log: o.log, version: "test", powerSupplyDir: null },
  });
}

/** The receiver's counters for the button, from `hearth status`'s drivers section. */
function stats(agent: Agent): DeviceStats {
  const drivers = agent.status().drivers as { bthome?: Record<string, DeviceStats> };
  const s = drivers.bthome?.[DEVICE];
  if (!s) throw new Error(`no bthome stats for ${DEVICE}: ${JSON.stringify(drivers)}`);
  return s;
}

/** One Shelly-style advert: packet id, battery, button event (0 = none: a beacon), encrypted with KEY. */
function encryptedAdvert(mac: string, counter: number, event: 0 | 1 = 1): Uint8Array {
  return encodeServiceData(
    encodeObjects([
      { id: 0x00, value: counter % 256 },
      { id: 0x01, value: 90 },
      { id: 0x3a, value: event },
    ]),
    { triggerBased: true, key: keyFromHex(KEY), mac, counter },
  );
}

/** A plain press, as a spoofer without the key would send it. */
const plainPress = (packetId: number) =>
  encodeServiceData(
    encodeObjects([
      { id: 0x00, value: packetId },
      { id: 0x3a, value: 1 },
    ]),
    { triggerBased: true },
  );

const alertsOf = (msgs: readonly Received[]): AlertBody[] =>
  msgs
    .filter((m) => m.envelope.type === "alert")
    .map((m) => (m.envelope as Envelope<"alert">).body as AlertBody);

/** Ids of the call alerts raised that reached the cloud (a republished alert keeps its id). */
const callsRaised = (msgs: readonly Received[]) => [
  ...new Set(
    alertsOf(msgs)
      .filter((a) => a.kind === "call" && a.state === "raised")
      .map((a) => a.alert),
  ),
];

/**
 * Waits until the broker has acknowledged everything the agent wrote and the subscriber holds every one
 * of those messages, so "exactly one" below is not "one so far".
 */
async function settled(agent: Agent, sub: TestSubscriber): Promise<void> {
  await waitFor("the outbox to drain", () => {
    const d = agent.outbox.depth();
    return d.alert === 0 && d.event === 0;
  });
  const ids = agent.outbox.deliveredRange(1).map((m) => m.envelope.id);
  await sub.waitFor((msgs) => {
    const got = new Set(msgs.map((m) => m.envelope.id));
    return ids.every((id) => got.has(id));
  }, 10_000);
}

/**
 * Advertises until `done` holds: the agent's scanner subscribes to a device's changes asynchronously,
 * and an advert that goes out before that is not seen (as on air, when the radio is not listening).
 */
async function advertiseUntil(
  bluez: BluezMock,
  path: string,
  sd: Uint8Array,
  what: string,
  done: () => boolean,
  detail: () => unknown = () => "",
): Promise<void> {
  await waitFor(
    what,
    async () => {
      if (done()) return true;
      await bluez.advertise(path, sd);
      await new Promise((r) => setTimeout(r, 50));
      return done();
    },
    10_000,
    detail,
  );
}

/** Waits until a counter stops moving (copies of earlier adverts still on their way have arrived). */
async function steady(read: () => number): Promise<number> {
  let last = read();
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const now = read();
    if (now === last) return now;
    last = now;
  }
}

describe.runIf(run)("the call button through node-ble, a dbusmock BlueZ, the agent and Mosquitto", () => {
  const bluez = new BluezMock();
  let broker: TestBroker;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    await bluez.start();
    await bluez.addAdapter("hci0");
    broker = await startMosquitto();
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  afterAll(async () => {
    await broker?.close();
    await bluez.stop();
  });

  /** A new agent from `make`, started, and stopped after the test. */
  async function running(make: () => Agent): Promise<Agent> {
    const agent = make();
    cleanups.push(() => agent.stop());
    await agent.start();
    return agent;
  }

  async function setup(home: string, mac: string) {
    const sub = await subscribe(broker.url, `hearth/v1/${home}/#`, { protocolVersion: 5 });
    cleanups.push(() => sub.close());
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-ble-agent-"));
    const { log, lines } = captureLog();
    const make = () => startAgent({ broker: broker.url, home, stateDir, mac, log });
    const path = await bluez.addDevice(mac);
    return { sub, stateDir, log, lines, make, path };
  }

  it("a press whose advert is delivered five times arrives as exactly one call alert", async () => {
    const mac = "A4:C1:38:00:00:01";
    const { sub, make, path } = await setup("ble-home-1", mac);
    const agent = await running(make);

    // A beacon (no event) first: once it is accepted, the agent's scanner is watching the device.
    await advertiseUntil(
      bluez,
      path,
      encryptedAdvert(mac, 1, 0),
      "the beacon",
      () => stats(agent).accepted >= 1,
      () => stats(agent),
    );
    const before = await steady(() => stats(agent).duplicates);
    expect(stats(agent).presses).toBe(0);

    const press = encryptedAdvert(mac, 2, 1);
    for (let i = 0; i < 5; i++) await bluez.advertise(path, press);
    await waitFor(
      "all five copies at the receiver",
      () => stats(agent).duplicates >= before + 4,
      10_000,
      () => stats(agent),
    );
    expect(stats(agent)).toMatchObject({ accepted: 2, presses: 1, duplicates: before + 4 });

    await sub.waitFor((m) => callsRaised(m).length >= 1, 10_000);
    await settled(agent, sub);
    const calls = alertsOf(sub.messages).filter((a) => a.kind === "call");
    expect(calls).toEqual([
      expect.objectContaining({
        kind: "call",
        state: "raised",
        device: DEVICE,
        evidence: expect.objectContaining({ event: "press", counter: 2 }),
      }),
    ]);
    // The button event reached the cloud too, once.
    const buttonEvents = sub.messages.filter(
      (m) => m.envelope.type === "event" && (m.envelope as Envelope<"event">).body.event === "button",
    );
    expect(buttonEvents).toHaveLength(1);
    expect(sub.invalid).toEqual([]);
  });

  it("the same encrypted advert replayed after an agent restart is rejected; so is a plain advert from the keyed MAC", async () => {
    const mac = "A4:C1:38:00:00:02";
    const { sub, make, path } = await setup("ble-home-2", mac);

    const first = await running(make);
    const recorded = encryptedAdvert(mac, 41, 1);
    await advertiseUntil(
      bluez,
      path,
      recorded,
      "the press",
      () => stats(first).presses >= 1,
      () => stats(first),
    );
    await sub.waitFor((m) => callsRaised(m).length === 1, 10_000);
    await settled(first, sub);
    const [original] = callsRaised(sub.messages);
    await first.stop();

    // A new Agent on the same state dir: the last accepted counter (41) comes back from the outbox's kv.
    const second = await running(make);
    await advertiseUntil(
      bluez,
      path,
      recorded,
      "the replay to be rejected",
      () => stats(second).rejected_replay >= 1,
      () => stats(second),
    );
    await advertiseUntil(
      bluez,
      path,
      plainPress(42),
      "the plain advert to be rejected",
      () => stats(second).rejected_unencrypted >= 1,
    );
    expect(stats(second)).toMatchObject({ accepted: 0, presses: 0 });
    await settled(second, sub);
    expect(callsRaised(sub.messages)).toEqual([original]);
    expect(
      (second.status().open_alerts as { alert: string; kind: string }[]).filter((a) => a.kind === "call"),
    ).toEqual([expect.objectContaining({ alert: original })]);

    // The same path still takes a genuine next press: the rejections above were not a deaf receiver.
    await advertiseUntil(
      bluez,
      path,
      encryptedAdvert(mac, 42, 1),
      "the next press",
      () => stats(second).presses >= 1,
      () => stats(second),
    );
    await sub.waitFor((m) => callsRaised(m).length === 2, 10_000);
    await settled(second, sub);
    expect(callsRaised(sub.messages)).toHaveLength(2);
    expect(sub.invalid).toEqual([]);
  });

  it("after a battery change the counter starts again: presses are rejected until hearth ble-reset-counter, then they call", async () => {
    const mac = "A4:C1:38:00:00:05";
    const { sub, make, path, stateDir } = await setup("ble-home-5", mac);
    const agent = await running(make);
    await advertiseUntil(
      bluez,
      path,
      encryptedAdvert(mac, 500, 1),
      "the press",
      () => stats(agent).presses >= 1,
    );
    await sub.waitFor((m) => callsRaised(m).length === 1, 10_000);

    // New battery: the button counts from the start again, and looks like a replay.
    await advertiseUntil(
      bluez,
      path,
      encryptedAdvert(mac, 3, 1),
      "the press after the battery change to be rejected",
      () => stats(agent).rejected_replay >= 1,
    );
    expect(stats(agent).presses).toBe(1);

    // Not run with spawnSync: the agent answering the control socket lives in this process.
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [MAIN, ...args], (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const unknown = await cli(["ble-reset-counter", "kettle", "--state-dir", stateDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no BLE device "kettle"');
    const reset = await cli(["ble-reset-counter", DEVICE, "--state-dir", stateDir]);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({ device: DEVICE, reset: true });

    await advertiseUntil(
      bluez,
      path,
      encryptedAdvert(mac, 4, 1),
      "the next press",
      () => stats(agent).presses >= 2,
    );
    await sub.waitFor((m) => callsRaised(m).length === 2, 10_000);
    await settled(agent, sub);
    const resets = sub.messages.filter(
      (m) =>
        m.envelope.type === "event" && (m.envelope as Envelope<"event">).body.event === "ble_counter_reset",
    );
    expect(resets.map((m) => (m.envelope as Envelope<"event">).body.device)).toEqual([DEVICE]);
    expect(sub.invalid).toEqual([]);
  });

  it("adapter removed and re-added: discovery resumes without restarting the agent, and a press arrives", async () => {
    const mac = "A4:C1:38:00:00:03";
    const { sub, make, path, lines } = await setup("ble-home-3", mac);
    const agent = await running(make);
    await advertiseUntil(
      bluez,
      path,
      encryptedAdvert(mac, 1, 0),
      "the beacon",
      () => stats(agent).accepted >= 1,
      () => stats(agent),
    );

    const logged = (msg: string) => lines.filter((l) => l.msg === msg && l.adapter === "hci0");
    await bluez.removeAdapter("hci0");
    await waitFor("the agent to see the adapter gone", () => logged("BLE adapter lost").length === 1);
    expect(logged("BLE adapter lost")[0]).toMatchObject({ level: 40, module: "ble" });

    await bluez.addAdapter("hci0");
    await waitFor("the adapter to be acquired again", () => logged("BLE adapter acquired").length === 2);
    // The fresh adapter starts with discovery off; only the agent's scanner turns it on.
    await waitFor(
      "discovery on the new adapter",
      async () => (await bluez.adapterProp("Discovering")) === true,
    );
    expect(await bluez.adapterProp("DiscoveryFilter")).toMatchObject({
      Transport: { value: "le" },
      DuplicateData: { value: true },
    });

    // The device went with the adapter; it is heard again as a new device object.
    const again = await bluez.addDevice(mac);
    await advertiseUntil(
      bluez,
      again,
      encryptedAdvert(mac, 2, 1),
      "the press after re-adding",
      () => stats(agent).presses >= 1,
      () => stats(agent),
    );
    await sub.waitFor((m) => callsRaised(m).length === 1, 10_000);
    await settled(agent, sub);
    expect(callsRaised(sub.messages)).toHaveLength(1);
    expect(stats(agent)).toMatchObject({ presses: 1, rejected_replay: 0, rejected_unencrypted: 0 });
    expect(sub.invalid).toEqual([]);
  });
});
