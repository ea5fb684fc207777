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
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DeviceStats } from "../../drivers/bthome/receiver.js";
import { Agent } from "../../src/agent/agent.js";
import type { AlertBody, Envelope } from "../../src/contract/messages.js";
import { SystemClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import type { Logger } from "../../src/core/log.js";
import { packageRoot } from "../../src/core/paths.js";
import { bluezMockAvailable, bluezMockForSuite } from "../helpers/bluez-mock.js";
import {
  mosquittoAvailable,
  type Received,
  startMosquitto,
  subscribe,
  type TestBroker,
  type TestSubscriber,
} from "../helpers/brokers.js";
import { bleHomeConfig, encryptedAdvert, plainPress } from "../helpers/bthome.js";
import { captureLog } from "../helpers/log-capture.js";
import { sleep, waitFor } from "../helpers/wait.js";

const run = bluezMockAvailable() && mosquittoAvailable();

const DEVICE = "call-button";
const MAIN = join(packageRoot(), "dist/src/cli/main.js");

function startAgent(o: { broker: string; home: string; stateDir: string; mac: string; log: Logger }): Agent {
  const clock = new SystemClock();
  // A home with one encrypted Shelly BLU Button1 on hci0 and no meters.
  const { config, profiles } = bleHomeConfig({
    ...o,
    device: DEVICE,
    logLevel: "info",
    extra: "adapter: hci0",
  });
  // No bleScanner in the host: the agent builds its real BluezScanner (node-ble over the system bus).
  return new Agent({
    config,
    profiles,
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

/** Waits until the call alerts raised that reached the cloud are `enough`, and then until `settled`. */
async function callsSettled(agent: Agent, sub: TestSubscriber, enough: (calls: number) => boolean) {
  await sub.waitFor((m) => enough(callsRaised(m).length), 10_000);
  await settled(agent, sub);
}

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

/** Waits until a counter stops moving (copies of earlier adverts still on their way have arrived). */
async function steady(read: () => number): Promise<number> {
  let last = read();
  for (;;) {
    await sleep(250);
    const now = read();
    if (now === last) return now;
    last = now;
  }
}

describe.runIf(run)("the call button through node-ble, a dbusmock BlueZ, the agent and Mosquitto", () => {
  const bluez = bluezMockForSuite();
  let broker: TestBroker;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  afterAll(async () => {
    await broker?.close();
  });

  /**
   * Advertises `sd` until the button's receiver counters say `done`: the agent's scanner subscribes to
   * a device's changes asynchronously, and an advert that goes out before that is not seen (as on air,
   * when the radio is not listening).
   */
  async function advertiseUntil(
    agent: Agent,
    path: string,
    sd: Uint8Array,
    what: string,
    done: (s: DeviceStats) => boolean,
  ): Promise<void> {
    await waitFor(
      what,
      async () => {
        if (done(stats(agent))) return true;
        await bluez.advertise(path, sd);
        await sleep(50);
        return done(stats(agent));
      },
      { detail: () => stats(agent) },
    );
  }

  /** A new agent from `make`, started, and stopped after the test. */
  async function running(make: () => Agent): Promise<Agent> {
    const agent = make();
    cleanups.push(() => agent.stop());
    await agent.start();
    return agent;
  }

  /**
   * A cloud subscriber for `home`, the button's device object on the mock BlueZ, and an agent for the
   * home started on a new state dir; `make` builds another agent on the same state dir.
   */
  async function setup(home: string, mac: string) {
    const sub = await subscribe(broker.url, `hearth/v1/${home}/#`, { protocolVersion: 5 });
    cleanups.push(() => sub.close());
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-ble-agent-"));
    const { log, lines } = captureLog();
    const make = () => startAgent({ broker: broker.url, home, stateDir, mac, log });
    const path = await bluez.addDevice(mac);
    const agent = await running(make);
    return { sub, stateDir, log, lines, make, path, agent };
  }

  it("a press whose advert is delivered five times arrives as exactly one call alert", async () => {
    const mac = "A4:C1:38:00:00:01";
    const { sub, path, agent } = await setup("ble-home-1", mac);

    // A beacon (no event) first: once it is accepted, the agent's scanner is watching the device.
    await advertiseUntil(agent, path, encryptedAdvert(mac, 1, 0), "the beacon", (s) => s.accepted >= 1);
    const before = await steady(() => stats(agent).duplicates);
    expect(stats(agent).presses).toBe(0);

    const press = encryptedAdvert(mac, 2, 1);
    for (let i = 0; i < 5; i++) await bluez.advertise(path, press);
    await waitFor("all five copies at the receiver", () => stats(agent).duplicates >= before + 4, {
      detail: () => stats(agent),
    });
    expect(stats(agent)).toMatchObject({ accepted: 2, presses: 1, duplicates: before + 4 });

    await callsSettled(agent, sub, (calls) => calls >= 1);
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
    const { sub, make, path, agent: first } = await setup("ble-home-2", mac);
    const recorded = encryptedAdvert(mac, 41, 1);
    await advertiseUntil(first, path, recorded, "the press", (s) => s.presses >= 1);
    await callsSettled(first, sub, (calls) => calls === 1);
    const [original] = callsRaised(sub.messages);
    await first.stop();

    // A new Agent on the same state dir: the last accepted counter (41) comes back from the outbox's kv.
    const second = await running(make);
    await advertiseUntil(second, path, recorded, "the replay to be rejected", (s) => s.rejected_replay >= 1);
    await advertiseUntil(
      second,
      path,
      plainPress(42),
      "the plain advert to be rejected",
      (s) => s.rejected_unencrypted >= 1,
    );
    expect(stats(second)).toMatchObject({ accepted: 0, presses: 0 });
    await settled(second, sub);
    expect(callsRaised(sub.messages)).toEqual([original]);
    expect(
      (second.status().open_alerts as { alert: string; kind: string }[]).filter((a) => a.kind === "call"),
    ).toEqual([expect.objectContaining({ alert: original })]);

    // The same path still takes a genuine next press: the rejections above were not a deaf receiver.
    await advertiseUntil(second, path, encryptedAdvert(mac, 42, 1), "the next press", (s) => s.presses >= 1);
    await callsSettled(second, sub, (calls) => calls === 2);
    expect(callsRaised(sub.messages)).toHaveLength(2);
    expect(sub.invalid).toEqual([]);
  });

  it("after a battery change the counter starts again: presses are rejected until hearth ble-reset-counter, then they call", async () => {
    const mac = "A4:C1:38:00:00:05";
    const { sub, path, stateDir, agent } = await setup("ble-home-5", mac);
    await advertiseUntil(agent, path, encryptedAdvert(mac, 500, 1), "the press", (s) => s.presses >= 1);
    await sub.waitFor((m) => callsRaised(m).length === 1, 10_000);

    // New battery: the button counts from the start again, and looks like a replay.
    await advertiseUntil(
      agent,
      path,
      encryptedAdvert(mac, 3, 1),
      "the press after the battery change to be rejected",
      (s) => s.rejected_replay >= 1,
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

    await advertiseUntil(agent, path, encryptedAdvert(mac, 4, 1), "the next press", (s) => s.presses >= 2);
    await callsSettled(agent, sub, (calls) => calls === 2);
    const resets = sub.messages.filter(
      (m) =>
        m.envelope.type === "event" && (m.envelope as Envelope<"event">).body.event === "ble_counter_reset",
    );
    expect(resets.map((m) => (m.envelope as Envelope<"event">).body.device)).toEqual([DEVICE]);
    expect(sub.invalid).toEqual([]);
  });

  it("adapter removed and re-added: discovery resumes without restarting the agent, and a press arrives", async () => {
    const mac = "A4:C1:38:00:00:03";
    const { sub, path, lines, agent } = await setup("ble-home-3", mac);
    await advertiseUntil(agent, path, encryptedAdvert(mac, 1, 0), "the beacon", (s) => s.accepted >= 1);

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
      agent,
      again,
      encryptedAdvert(mac, 2, 1),
      "the press after re-adding",
      (s) => s.presses >= 1,
    );
    await callsSettled(agent, sub, (calls) => calls === 1);
    expect(callsRaised(sub.messages)).toHaveLength(1);
    expect(stats(agent)).toMatchObject({ presses: 1, rejected_replay: 0, rejected_unencrypted: 0 });
    expect(sub.invalid).toEqual([]);
  });
});
