import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { mosquittoAvailable, startMosquitto, type TestBroker } from "../helpers/brokers.js";
import { simHomeAgent } from "../helpers/sim-home.js";
import {
  decisions,
  FakeGateway,
  receiverOptions,
  sqliteStoreFactory,
  startReceiver,
  startWebhook,
  waitDecision,
} from "./rig.js";

const haveBroker = mosquittoAvailable();

describe.skipIf(!haveBroker)("hearth receiver with the real gateway agent and across restarts", () => {
  let broker: TestBroker;
  const sqlite = sqliteStoreFactory();
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.close();
    sqlite.cleanup();
  });

  it("a call from the real agent is stored, acknowledged with a signed ack the gateway accepts, and closed", async () => {
    const r = await startReceiver(receiverOptions(broker.url, { group: "g-agent" }), sqlite.make());
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-agent-"));
    const home = "home-agent";
    const { agent, devices } = simHomeAgent({
      brokerUrl: broker.url,
      mqttVersion: "5",
      stateDir,
      home,
      log: silentLogger(),
    });
    try {
      await agent.start();
      await waitDecision([r], "gateway_online", (l) => l.home === home);
      devices.button().press("press");
      const [raised] = await waitDecision([r], "alert_stored", (l) => l.home === home && l.kind === "call");
      expect(raised).toMatchObject({ state: "raised", known_kind: true });
      await waitDecision([r], "acknowledged", (l) => l.alert === raised?.alert);
      // The gateway verified the signature and closed the call: its acknowledged state arrives.
      const [closed] = await waitDecision(
        [r],
        "alert_stored",
        (l) => l.alert === raised?.alert && l.state === "acknowledged",
      );
      expect(closed).toBeDefined();
      expect(await r.store.openAlerts()).toEqual([]);
      expect(decisions([r], "duplicate")).toEqual([]);
    } finally {
      await agent.stop();
      await r.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("webhook deliveries are in the store: a restarted receiver delivers what the stopped one could not", async () => {
    const down = await startWebhook([503]);
    const store = sqlite.make();
    const first = await startReceiver(
      receiverOptions(broker.url, {
        group: "g-restart",
        ack: "webhook",
        webhook: { url: down.url, secret: "k" },
      }),
      store,
    );
    const gw = await FakeGateway.start(broker.url, "home-restart", 1);
    const env = gw.alert("alert-restart-1", "raised", 1);
    try {
      await gw.publish(env);
      await waitDecision([first], "webhook_failed");
    } finally {
      await first.stop();
      await down.close();
    }
    const up = await startWebhook([200]);
    const second = await startReceiver(
      receiverOptions(broker.url, {
        group: "g-restart",
        ack: "webhook",
        webhook: { url: up.url, secret: "k" },
      }),
      sqlite.make(),
    );
    try {
      const [delivered] = await waitDecision([second], "webhook_delivered");
      expect(delivered).toMatchObject({ key: env.id, alert: "alert-restart-1" });
      expect(up.requests[0]?.headers["idempotency-key"]).toBe(env.id);
      await waitDecision([second], "acknowledged", (l) => l.alert === "alert-restart-1");
    } finally {
      await gw.close();
      await second.stop();
      await up.close();
    }
  }, 60_000);
});
