import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertSms } from "../../src/cellular/sms-text.js";
import type { AlertBody, StatusBody } from "../../src/contract/messages.js";
import { controlRequest } from "../../src/control/client.js";
import { socketPath } from "../../src/control/socket.js";
import { silentLogger } from "../../src/core/log.js";
import { startAedes, subscribe, type TestBroker } from "../helpers/brokers.js";
import { ModemMock, modemMockAvailable } from "../helpers/modem-mock.js";
import { simHomeAgent } from "../helpers/sim-home.js";
import { sleep, waitFor } from "../helpers/wait.js";

/*
 * Issue 17: the SMS fallback in the running agent, against ModemManager impersonated on a private bus
 * (tests/helpers/modem-mock.ts). `sms.after` is 2 s here (60 s by default); the tests assert what was
 * sent, to whom, how often and in which order, never how fast.
 */
const NUMBERS = ["+8613800138000", "+85291234567"];
const AFTER_MS = 2_000;
const SMS_YAML = `sms:
  numbers: ["${NUMBERS[0]}", "${NUMBERS[1]}"]
  after: 2s
  language: zh
  degraded_after: 1s
  poll: 200ms
`;

describe.runIf(modemMockAvailable())("SMS fallback through ModemManager (mock) in the agent", () => {
  const mm = new ModemMock();
  let broker: TestBroker;
  const dirs: string[] = [];
  beforeAll(async () => {
    await mm.start();
    await mm.addModem();
    broker = await startAedes();
  });
  afterAll(async () => {
    await broker?.close();
    await mm.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The simulated home with `sms:`, its alerts as written, started. */
  const home = async (id: string, extra = SMS_YAML) => {
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-sms-"));
    dirs.push(stateDir);
    const made = simHomeAgent({ brokerUrl: broker.url, stateDir, home: id, log: silentLogger(), extra });
    const alerts: AlertBody[] = [];
    const putAlert = made.agent.outbox.putAlert.bind(made.agent.outbox);
    made.agent.outbox.putAlert = (b) => {
      alerts.push(b);
      return putAlert(b);
    };
    await made.agent.start();
    return { ...made, alerts, stateDir };
  };

  it("broker down: a press goes by SMS once to each number, in the config's language; a test alert never; the alert then goes out with the record", async () => {
    await broker.stop();
    const before = (await mm.messages()).length;
    const h = await home("sms-down");
    try {
      // A test alert first: by the time the call's SMS is out, the test alert has waited longer.
      h.agent.pipeline.raiseTest();
      h.devices.button().press("press");
      await waitFor("the call", () => h.alerts.some((a) => a.kind === "call"));
      const call = h.alerts.find((a) => a.kind === "call") as AlertBody;
      await waitFor("two SMS", async () => (await mm.sent()).length - before >= 2, { timeoutMs: 30_000 });
      // Twice the fallback's time more: still only those two (once per alert and number).
      await sleep(2 * AFTER_MS);
      const sent = (await mm.messages()).slice(before);
      expect(sent.map((m) => m.number)).toEqual(NUMBERS);
      expect(sent.every((m) => m.state === 5)).toBe(true);
      const text = alertSms("sms-down", call, "zh");
      expect(sent.map((m) => m.text)).toEqual([text, text]);
      expect(text).toContain("紧急呼叫");
      expect(text).toContain("button-1");

      // The queued call now carries what was sent; the uplink, once back, publishes it so.
      const queued = h.agent.outbox
        .pending(10)
        .find((m) => m.type === "alert" && m.seq > 0 && (m.envelope.body as AlertBody).alert === call.alert);
      expect(queued).toBeDefined();
      const evidence = (queued?.envelope.body as AlertBody | undefined)?.evidence as
        | { sms?: { sent: { to: string }[] } }
        | undefined;
      expect(evidence?.sms?.sent.map((s) => s.to)).toEqual(NUMBERS);

      await broker.restart();
      const sub = await subscribe(broker.url, "hearth/v1/sms-down/alert/#");
      try {
        const got = (m: readonly { envelope: { body: unknown } }[]) =>
          m.some((x) => {
            const b = x.envelope.body as AlertBody;
            return b.alert === call.alert && b.state === "raised" && b.evidence.sms !== undefined;
          });
        // The agent may have delivered it before the subscription: a reconnect republishes open calls.
        try {
          await sub.waitFor(got, 5_000);
        } catch {
          await broker.restart();
          await sub.ready();
          await sub.waitFor(got, 20_000);
        }
        const out = sub.messages.find((x) => (x.envelope.body as AlertBody).alert === call.alert);
        expect((out?.envelope.body as AlertBody | undefined)?.evidence).toMatchObject({
          sms: { sent: [{ to: NUMBERS[0] }, { to: NUMBERS[1] }], failed: [] },
        });
        expect(sub.invalid).toEqual([]);
      } finally {
        await sub.close();
      }
    } finally {
      await h.agent.stop();
    }
  }, 90_000);

  it("broker up: a press is acknowledged in time, no SMS; the heartbeat carries the modem's state", async () => {
    await broker.restart();
    const before = (await mm.messages()).length;
    const h = await home("sms-up");
    const sub = await subscribe(broker.url, "hearth/v1/sms-up/#");
    try {
      h.devices.button().press("press");
      await sub.waitFor((m) => m.some((x) => (x.envelope.body as AlertBody).kind === "call"), 20_000);
      await sleep(2 * AFTER_MS);
      expect((await mm.messages()).length).toBe(before);
      await sub.waitFor(
        (m) => m.some((x) => (x.envelope.body as StatusBody).health?.cellular?.modem === "ok"),
        20_000,
      );
      const hb = sub.messages
        .map((x) => (x.envelope.body as StatusBody).health?.cellular)
        .filter((c) => c !== undefined);
      expect(hb.at(-1)).toEqual({ modem: "ok", registration: "home", signal_pct: 71 });
    } finally {
      await sub.close();
      await h.agent.stop();
    }
  }, 60_000);

  it("modem removed: monitoring_degraded (sense cellular), cleared when it is back", async () => {
    const h = await home("sms-modem");
    try {
      await mm.removeModem();
      await waitFor("the cellular alert", () => h.alerts.some((a) => a.kind === "monitoring_degraded"), {
        timeoutMs: 20_000,
      });
      const raised = h.alerts.find((a) => a.kind === "monitoring_degraded") as AlertBody;
      expect(raised).toMatchObject({
        state: "raised",
        device: "modem",
        evidence: { sense: "cellular", modem: "none" },
      });
      const status = (await controlRequest(socketPath(h.stateDir), { cmd: "status" })) as {
        cellular?: { modem: string };
      };
      expect(status.cellular?.modem).toBe("none");
      await mm.addModem();
      await waitFor(
        "the clear",
        () => h.alerts.some((a) => a.alert === raised.alert && a.state === "cleared"),
        { timeoutMs: 20_000 },
      );
      expect(h.alerts.filter((a) => a.kind === "monitoring_degraded").map((a) => a.state)).toEqual([
        "raised",
        "cleared",
      ]);
    } finally {
      await h.agent.stop();
    }
  }, 60_000);

  it("without `sms:` nothing about modems is reported, and a press is written as ever", async () => {
    const h = await home("sms-none", "");
    try {
      const status = (await controlRequest(socketPath(h.stateDir), { cmd: "status" })) as Record<
        string,
        unknown
      >;
      expect(status).toHaveProperty("home", "sms-none");
      expect(status).not.toHaveProperty("cellular");
      // Regression (this branch, before merge): the sink's `cellular?.written(outbox.putAlert(b))`
      // skipped the write itself when no fallback ran. A press must reach the outbox all the same.
      h.devices.button().press("press");
      await waitFor("the call in the outbox", () => h.alerts.some((a) => a.kind === "call"));
      const call = h.alerts.find((a) => a.kind === "call") as AlertBody;
      expect(h.agent.outbox.alertState(call.alert)).toMatchObject({ kind: "call", state: "raised" });
    } finally {
      await h.agent.stop();
    }
  });
});
