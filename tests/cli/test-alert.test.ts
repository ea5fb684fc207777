import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestAlertReport } from "../../src/cli/test-alert.js";
import { topicFor } from "../../src/contract/topics.js";
import { silentLogger } from "../../src/core/log.js";
import {
  freePort,
  mosquittoAvailable,
  startMosquitto,
  subscribe,
  type TestBroker,
} from "../helpers/brokers.js";
import { HEARTH_MAIN, hearth } from "../helpers/cli.js";
import { simHomeAgent } from "../helpers/sim-home.js";
import { waitFor } from "../helpers/wait.js";
import { receiverOptions, sqliteStoreFactory, startReceiver, waitDecision } from "../receiver/rig.js";

function parsed(stdout: string): TestAlertReport {
  return JSON.parse(stdout) as TestAlertReport;
}

type SimAgent = ReturnType<typeof simHomeAgent>["agent"];

/** A simulated home's real agent in a state directory of its own, started for `run` and removed after. */
async function withAgent(
  o: { brokerUrl: string; home: string; mqttVersion?: "3.1.1" | "5" },
  run: (agent: SimAgent, stateDir: string) => Promise<void>,
): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), "hearth-ta-agent-"));
  const { agent } = simHomeAgent({ ...o, stateDir, log: silentLogger() });
  try {
    await agent.start();
    await run(agent, stateDir);
  } finally {
    await agent.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

describe("hearth test-alert without an agent or with wrong usage", () => {
  it("names the control hop when no agent answers", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-ta-"));
    try {
      const r = await hearth(["test-alert", "--state-dir", dir, "--timeout", "1s"]);
      expect(r.code).toBe(1);
      const rep = parsed(r.stdout);
      expect(rep).toMatchObject({ ok: false, alert: null, hops: { control: "failed" } });
      expect(rep.broken?.hop).toBe("control");
      expect(r.stderr).toMatch(/test-alert: control: no agent is running/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 on a --timeout that is not a duration", async () => {
    const r = await hearth(["test-alert", "--state-dir", "/nonexistent", "--timeout", "soon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--timeout/);
  });
});

const haveBroker = mosquittoAvailable();

describe.skipIf(!haveBroker)("hearth test-alert against a gateway and hearth receiver on Mosquitto", () => {
  let broker: TestBroker;
  const sqlite = sqliteStoreFactory();
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.close();
    sqlite.cleanup();
  });

  it("passes while the receiver acknowledges, and names nobody subscribed once it is stopped (MQTT 5)", async () => {
    const r = await startReceiver(receiverOptions(broker.url, { group: "g-test-alert" }), sqlite.make());
    let receiverUp = true;
    const home = "home-test-alert";
    try {
      await withAgent({ brokerUrl: broker.url, mqttVersion: "5", home }, async (agent, stateDir) => {
        await waitDecision([r], "gateway_online", (l) => l.home === home);
        const ok = await hearth(["test-alert", "--state-dir", stateDir, "--timeout", "20s"]);
        expect(ok.code, ok.stderr).toBe(0);
        const rep = parsed(ok.stdout);
        expect(rep).toMatchObject({
          ok: true,
          hops: { control: "ok", outbox: "ok", broker: "ok", acknowledged: "ok" },
        });
        expect(rep.round_trip_ms).toBeTypeOf("number");
        expect(rep.broken).toBeUndefined();
        // The receiver stored it as a test alert and acknowledged it; the gateway closed it.
        const [stored] = await waitDecision([r], "alert_stored", (l) => l.alert === rep.alert);
        expect(stored).toMatchObject({ kind: "test", home });
        expect(agent.outbox.alertState(rep.alert as string)?.state).toBe("acknowledged");

        // A receiver in a group ends its session with its connection: once it is stopped, nothing is
        // subscribed to the home's alerts, and the broker says so in its PUBACK.
        await r.stop();
        receiverUp = false;
        const late = await hearth(["test-alert", "--state-dir", stateDir, "--timeout", "20s"]);
        expect(late.code).toBe(1);
        const lateRep = parsed(late.stdout);
        expect(lateRep).toMatchObject({
          ok: false,
          hops: { control: "ok", outbox: "ok", broker: "ok", acknowledged: "no_subscribers" },
          round_trip_ms: null,
        });
        expect(lateRep.broken?.hop).toBe("acknowledged");
        expect(late.stderr).toContain(
          `test-alert: acknowledged: nobody subscribed: the broker said no subscription matches ${topicFor(home, "alert")}`,
        );
      });
    } finally {
      if (receiverUp) await r.stop();
    }
  }, 60_000);

  it("MQTT 5: a subscriber that does not acknowledge is a timeout; nobody subscribed is named as such", async () => {
    const home = "home-nobody-v5";
    const sub = await subscribe(broker.url, topicFor(home, "alert"));
    let subOpen = true;
    try {
      await withAgent({ brokerUrl: broker.url, mqttVersion: "5", home }, async (agent, stateDir) => {
        await waitFor("the gateway connected", () => agent.uplink.state().connected);
        const mute = await hearth(["test-alert", "--state-dir", stateDir, "--timeout", "2s"]);
        expect(mute.code).toBe(1);
        const muteRep = parsed(mute.stdout);
        expect(muteRep.hops).toEqual({ control: "ok", outbox: "ok", broker: "ok", acknowledged: "timeout" });
        expect(mute.stderr).toMatch(
          /test-alert: acknowledged: the broker took the alert but no acknowledgement/,
        );
        // It did reach a subscriber: the PUBACK said so, and no "nobody subscribed" was claimed.
        await sub.waitFor((ms) =>
          ms.some((m) => m.envelope.type === "alert" && m.topic === topicFor(home, "alert")),
        );

        await sub.close();
        subOpen = false;
        const r = await hearth(["test-alert", "--state-dir", stateDir, "--timeout", "20s"]);
        expect(r.code).toBe(1);
        const rep = parsed(r.stdout);
        expect(rep).toMatchObject({
          ok: false,
          alert: expect.any(String),
          hops: { control: "ok", outbox: "ok", broker: "ok", acknowledged: "no_subscribers" },
          round_trip_ms: null,
          broken: { hop: "acknowledged" },
        });
        expect(rep.broken?.reason).toMatch(/^nobody subscribed: /);
        expect(r.stderr).toContain(
          `test-alert: acknowledged: nobody subscribed: the broker said no subscription matches ${topicFor(home, "alert")}`,
        );
        expect(agent.outbox.alertState(rep.alert as string)?.state).toBe("raised");
      });
    } finally {
      if (subOpen) await sub.close();
    }
  }, 60_000);

  it("MQTT 3.1.1 cannot say nobody subscribed: it is a timeout of the acknowledgement", async () => {
    const home = "home-nobody-v311";
    await withAgent({ brokerUrl: broker.url, mqttVersion: "3.1.1", home }, async (agent, stateDir) => {
      await waitFor("the gateway connected", () => agent.uplink.state().connected);
      const r = await hearth(["test-alert", "--state-dir", stateDir, "--timeout", "2s"]);
      expect(r.code).toBe(1);
      const rep = parsed(r.stdout);
      expect(rep.hops).toEqual({ control: "ok", outbox: "ok", broker: "ok", acknowledged: "timeout" });
      expect(r.stderr).toMatch(/nobody subscribed to the home's alerts/);
      expect(r.stderr).not.toMatch(/no subscription matches/);
    });
  }, 60_000);

  it("names the broker hop when the agent has no broker connection", async () => {
    const brokerUrl = `mqtt://127.0.0.1:${await freePort()}`;
    await withAgent({ brokerUrl, home: "home-no-broker" }, async (_agent, stateDir) => {
      const r = await hearth(["test-alert", "--state-dir", stateDir, "--timeout", "1s"]);
      expect(r.code).toBe(1);
      const rep = parsed(r.stdout);
      expect(rep).toMatchObject({
        ok: false,
        hops: { control: "ok", outbox: "ok", broker: "timeout", acknowledged: "not_reached" },
        uplink: { connected: false },
      });
      expect(rep.broken?.hop).toBe("broker");
      expect(r.stderr).toMatch(/test-alert: broker: no broker connection/);
    });
  }, 60_000);
});

describe("hearth test-alert against the demo", () => {
  it("passes: the demo's receiver acknowledges a test alert with a signed ack", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-ta-demo-"));
    const demo = spawn(process.execPath, [HEARTH_MAIN, "demo", "--forever", "--state-dir", stateDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    demo.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    demo.stderr.resume();
    const exited = new Promise<void>((resolve) => demo.on("exit", () => resolve()));
    try {
      await waitFor("the demo online", () => /demo: broker /.test(out) && /status online/.test(out), {
        timeoutMs: 30_000,
      });
      const r = await hearth(["test-alert", "--state-dir", stateDir, "--timeout", "20s"]);
      expect(r.code, `${r.stdout}\n${r.stderr}\n${out}`).toBe(0);
      const rep = parsed(r.stdout);
      expect(rep.hops).toEqual({ control: "ok", outbox: "ok", broker: "ok", acknowledged: "ok" });
      expect(out).toMatch(
        new RegExp(`receiver: acknowledging test ${rep.alert} \\(by care-centre, signed ack rx-`),
      );
      // The real receiver runs there, with its HTTP API on the loopback port the demo printed.
      const url = /demo: the receiver's console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      expect(url, out).toBeDefined();
      const homes = (await (await fetch(`${url}api/homes`)).json()) as { home: string; state: string }[];
      expect(homes).toEqual([expect.objectContaining({ home: "demo-home", state: "online" })]);
    } finally {
      demo.kill("SIGTERM");
      await exited;
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 90_000);
});
