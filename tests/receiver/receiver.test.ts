import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMAND_BODIES } from "../../src/contract/messages.js";
import { webhookSignature } from "../../src/receiver/webhook.js";
import { freePort, mosquittoAvailable, startMosquitto, type TestBroker } from "../helpers/brokers.js";
import { postgresAvailable, startPostgres, type TestPostgres } from "../helpers/postgres.js";
import { waitFor } from "../helpers/wait.js";
import {
  decisions,
  FakeGateway,
  postgresStore,
  receiverOptions,
  sqliteStoreFactory,
  startReceiver,
  startWebhook,
  waitDecision,
} from "./rig.js";

/**
 * The receiver against Mosquitto (MQTT 5 shared subscriptions are Mosquitto's, not the embedded
 * broker's), with stand-in gateways publishing contract messages.
 */
const haveBroker = mosquittoAvailable();
const havePg = haveBroker && postgresAvailable();

describe.skipIf(!haveBroker)("hearth receiver with Mosquitto", () => {
  let broker: TestBroker;
  let pgServer: TestPostgres | undefined;
  let n = 0;
  const sqlite = sqliteStoreFactory();
  beforeAll(async () => {
    broker = await startMosquitto();
    if (havePg) pgServer = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await broker?.close();
    await pgServer?.stop();
    sqlite.cleanup();
  });

  const stores = [
    { name: "SQLite", make: () => Promise.resolve(sqlite.make()), on: true },
    {
      name: "PostgreSQL",
      make: async () => postgresStore(await (pgServer as TestPostgres).database(`rx${++n}`)),
      on: havePg,
    },
  ];

  for (const s of stores)
    it.skipIf(!s.on)(
      `two receivers in one group on ${s.name}: each alert stored and acknowledged once, duplicates caught`,
      async () => {
        const first = await s.make();
        const second = await s.make();
        // The second shares the first's store (same SQLite file or PostgreSQL database).
        const group = `g-${s.name}`;
        const a = await startReceiver(receiverOptions(broker.url, { group }), first);
        const b = await startReceiver(receiverOptions(broker.url, { group }), second);
        const gw = await FakeGateway.start(broker.url, `home-two-${s.name}`, 1);
        try {
          const N = 20;
          const sent = Array.from({ length: N }, (_, i) => gw.alert(`alert-two-${i}`, "raised", i + 1));
          for (const env of sent) await gw.publish(env);
          // Every message again with the same id: at-least-once delivery, or a resend.
          for (const env of sent) await gw.publish(env);
          const rs = [a, b];
          await waitDecision(rs, "duplicate", () => true, N);
          await waitDecision(rs, "acknowledged", () => true, N);
          const stored = decisions(rs, "alert_stored").map((l) => l.alert);
          expect(stored.sort()).toEqual(sent.map((e) => (e.body as { alert: string }).alert).sort());
          expect(decisions(rs, "duplicate").length).toBe(N);
          expect(
            decisions(rs, "acknowledged")
              .map((l) => l.alert)
              .sort(),
          ).toEqual([...stored].sort());
          // The shared subscription split the load between the two.
          expect(a.lines.length).toBeGreaterThan(0);
          expect(b.lines.length).toBeGreaterThan(0);
          await waitFor("the ack commands at the gateway", () => gw.commands.length >= N);
          expect(gw.commands.every((c) => c.name === "ack" && c.verified)).toBe(true);
          expect(new Set(gw.commands.map((c) => (c.command.body as { alert: string }).alert)).size).toBe(N);
        } finally {
          await gw.close();
          await a.stop();
          await b.stop();
        }
      },
      60_000,
    );

  it("an alert of a kind newer than the receiver is stored as unknown and acknowledged with its kind", async () => {
    const r = await startReceiver(receiverOptions(broker.url, { group: "g-newkind" }), sqlite.make());
    const gw = await FakeGateway.start(broker.url, "home-newkind", 1);
    try {
      await gw.publish(gw.alert("alert-smoke-1", "raised", 1, "smoke_detected"));
      const [stored] = await waitDecision([r], "alert_stored");
      expect(stored).toMatchObject({ kind: "smoke_detected", known_kind: false });
      await waitFor("the ack", () => gw.commands.length === 1);
      const ack = gw.commands[0];
      expect(ack?.verified).toBe(true);
      expect(ack?.command.body).toMatchObject({ alert: "alert-smoke-1", kind: "smoke_detected" });
      // The ack is a valid contract v1 command: a gateway that knows the kind takes it.
      expect(COMMAND_BODIES.ack.safeParse(ack?.command.body).success).toBe(true);
    } finally {
      await gw.close();
      await r.stop();
    }
  }, 60_000);

  it("an ack the online gateway never took is sent again once it expired, by one instance", async () => {
    const sqliteB = sqlite.make();
    const o = receiverOptions(broker.url, { group: "g-lostack", commandTtlMs: 300 });
    const r = await startReceiver(o, sqlite.make());
    const r2 = await startReceiver(o, sqliteB);
    // This stand-in gateway takes no ack: it never publishes the alert's acknowledged state, as if the
    // ack had been lost on its way.
    const gw = await FakeGateway.start(broker.url, "home-lostack", 1);
    try {
      await gw.online();
      await waitDecision([r, r2], "gateway_online", (l) => l.home === "home-lostack");
      await gw.publish(gw.alert("alert-lostack-1", "raised", 1));
      await waitFor("the ack, then the same ack again", () => gw.commands.length >= 3, { timeoutMs: 20_000 });
      const acks = gw.commands.filter((c) => c.name === "ack");
      expect(acks.length).toBe(gw.commands.length);
      expect(
        acks.every((c) => c.verified && (c.command.body as { alert: string }).alert === "alert-lostack-1"),
      ).toBe(true);
      expect(new Set(acks.map((c) => c.command.id)).size).toBe(acks.length);
      expect(decisions([r, r2], "acknowledged")).toHaveLength(1);
    } finally {
      await gw.close();
      await r.stop();
      await r2.stop();
    }
  }, 60_000);

  it("an alert republished after its ack expired unused is acknowledged again, with a new command", async () => {
    // Commands that live 1 ms: any republish comes after the first ack expired.
    const r = await startReceiver(
      receiverOptions(broker.url, { group: "g-reack", commandTtlMs: 1 }),
      sqlite.make(),
    );
    const gw = await FakeGateway.start(broker.url, "home-reack", 1);
    try {
      const env = gw.alert("alert-reack-1", "raised", 1);
      await gw.publish(env);
      await waitFor("the first ack", () => gw.commands.length === 1);
      await gw.publish(env);
      await waitDecision([r], "duplicate");
      await waitFor("the second ack", () => gw.commands.length === 2);
      const ids = gw.commands.map((c) => c.command.id);
      expect(new Set(ids).size).toBe(2);
      expect(
        gw.commands.every(
          (c) => c.verified && (c.command.body as { alert: string }).alert === "alert-reack-1",
        ),
      ).toBe(true);
      expect(decisions([r], "acknowledged")).toHaveLength(1);
    } finally {
      await gw.close();
      await r.stop();
    }
  }, 60_000);

  it("fails over: with the first broker down, it connects to the next of the list", async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const r = await startReceiver(
      receiverOptions(broker.url, { group: "g-failover", brokers: [dead, broker.url] }),
      sqlite.make(),
    );
    const gw = await FakeGateway.start(broker.url, "home-failover", 1);
    try {
      await gw.publish(gw.alert("alert-failover-1", "raised", 1));
      await waitDecision([r], "alert_stored", (l) => l.alert === "alert-failover-1");
    } finally {
      await gw.close();
      await r.stop();
    }
  }, 60_000);

  it("a killed gateway is reported offline by its will; on its return it gets the desired watch level", async () => {
    const r = await startReceiver(receiverOptions(broker.url, { group: "g-will" }), sqlite.make());
    const home = "home-will";
    try {
      const gw = await FakeGateway.start(broker.url, home, 7);
      await gw.online();
      await waitDecision([r], "gateway_online", (l) => l.home === home);
      gw.kill();
      const [off] = await waitDecision([r], "gateway_offline", (l) => l.home === home);
      expect(off).toMatchObject({ by: "will", session: 7, reason: "connection lost" });
      const [alarm] = await waitDecision(
        [r],
        "alert_stored",
        (l) => l.home === home && l.kind === "gateway_offline",
      );
      expect(alarm).toMatchObject({ origin: "receiver", state: "raised" });
      // A heat wave while it is away: the level is kept and sent when it comes back.
      await r.receiver.setWatch(home, "heightened", undefined);
      expect(decisions([r], "watch_sent")).toEqual([]);
      const back = await FakeGateway.start(broker.url, home, 8);
      await back.online();
      const [online] = await waitDecision([r], "gateway_online", (l) => l.home === home && l.session === 8);
      expect(online).toMatchObject({ previous_session: 7, previous: "will" });
      await waitDecision([r], "watch_sent", (l) => l.home === home && l.reason === "online");
      await waitFor("the watch command at the gateway", () => back.commands.some((c) => c.name === "watch"));
      expect(back.commands.find((c) => c.name === "watch")).toMatchObject({
        verified: true,
        command: { body: { level: "heightened" } },
      });
      await waitDecision([r], "alert_stored", (l) => l.home === home && l.state === "cleared");
      await back.close();
    } finally {
      await r.stop();
    }
  }, 60_000);

  it("a gateway whose network stalls (no will) is offline after its heartbeat allowance", async () => {
    const r = await startReceiver(
      receiverOptions(broker.url, { group: "g-silent", heartbeatAllowanceMs: 300 }),
      sqlite.make(),
    );
    const gw = await FakeGateway.start(broker.url, "home-silent", 3);
    try {
      await gw.online();
      await waitDecision([r], "gateway_online", (l) => l.home === "home-silent");
      const [off] = await waitDecision([r], "gateway_offline", (l) => l.home === "home-silent");
      expect(off).toMatchObject({ by: "silent", session: 3 });
      // Heard again in the same session (the stall passed): online again.
      await gw.online();
      await waitDecision([r], "gateway_online", (l) => l.home === "home-silent", 2);
    } finally {
      await gw.close();
      await r.stop();
    }
  }, 60_000);

  it("--ack webhook acknowledges only after the webhook answered 2xx, retrying until then", async () => {
    const hook = await startWebhook([503, 500, 200]);
    const r = await startReceiver(
      receiverOptions(broker.url, {
        group: "g-hook",
        ack: "webhook",
        webhook: { url: hook.url, secret: "s3cret" },
      }),
      sqlite.make(),
    );
    const gw = await FakeGateway.start(broker.url, "home-hook", 1);
    try {
      const env = gw.alert("alert-hook-1", "raised", 1);
      await gw.publish(env);
      const [failed] = await waitDecision([r], "webhook_failed");
      expect(failed).toMatchObject({ key: env.id, attempts: 1, error: "HTTP 503" });
      expect(decisions([r], "acknowledged")).toEqual([]);
      await waitDecision([r], "webhook_delivered");
      const [acked] = await waitDecision([r], "acknowledged");
      expect(acked).toMatchObject({ alert: "alert-hook-1", via: "webhook" });
      // The order of the lines: both failures, the delivery, then the ack.
      const order = r.lines
        .map((l) => l.decision)
        .filter((d) => d.startsWith("webhook") || d === "acknowledged");
      expect(order).toEqual(["webhook_failed", "webhook_failed", "webhook_delivered", "acknowledged"]);
      expect(hook.requests.map((q) => q.headers["idempotency-key"])).toEqual([env.id, env.id, env.id]);
      for (const q of hook.requests)
        expect(q.headers["x-hearth-signature"]).toBe(webhookSignature("s3cret", q.body));
      expect(JSON.parse(hook.requests[2]?.body ?? "{}")).toMatchObject({
        alert: "alert-hook-1",
        kind: "call",
        state: "raised",
      });
      await waitFor("the ack at the gateway", () => gw.commands.some((c) => c.name === "ack"));
      expect(gw.commands.filter((c) => c.name === "ack")).toHaveLength(1);
      expect(gw.commands[0]?.verified).toBe(true);
    } finally {
      await gw.close();
      await r.stop();
      await hook.close();
    }
  }, 60_000);

  it("--ack manual: an operator acknowledges through the HTTP API", async () => {
    const r = await startReceiver(
      receiverOptions(broker.url, {
        group: "g-manual",
        ack: "manual",
        http: { host: "127.0.0.1", port: 0, token: undefined },
      }),
      sqlite.make(),
    );
    const gw = await FakeGateway.start(broker.url, "home-manual", 1);
    try {
      await gw.publish(gw.alert("alert-manual-1", "raised", 1));
      await waitDecision([r], "alert_stored", (l) => l.alert === "alert-manual-1");
      const base = `http://127.0.0.1:${r.receiver.httpAddress?.port}`;
      const list = (await (await fetch(`${base}/api/alerts`)).json()) as { alert: string }[];
      expect(list.map((a) => a.alert)).toContain("alert-manual-1");
      // A form post (no JSON) is refused: a cross-site page cannot acknowledge.
      const form = await fetch(`${base}/api/alerts/alert-manual-1/ack`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "by=evil",
      });
      expect(form.status).toBe(415);
      const ok = await fetch(`${base}/api/alerts/alert-manual-1/ack`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ by: "operator Li", note: "neighbour is going over" }),
      });
      expect(ok.status).toBe(200);
      const [acked] = await waitDecision([r], "acknowledged");
      expect(acked).toMatchObject({ via: "manual", by: "operator Li" });
      await waitFor("the ack at the gateway", () => gw.commands.some((c) => c.name === "ack"));
      expect(gw.commands[0]?.command.body).toEqual({
        alert: "alert-manual-1",
        kind: "call",
        by: "operator Li",
        note: "neighbour is going over",
      });
      const again = await fetch(`${base}/api/alerts/alert-manual-1/ack`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ by: "operator Wang" }),
      });
      expect(again.status).toBe(409);
    } finally {
      await gw.close();
      await r.stop();
    }
  }, 60_000);

  it("gap filling: a withheld range is asked for with a signed resend and filled; one never sent is lost", async () => {
    const r = await startReceiver(receiverOptions(broker.url, { group: "g-gap" }), sqlite.make());
    const gw = await FakeGateway.start(broker.url, "home-gap", 2);
    try {
      const withheld = [
        gw.alert("alert-gap-3", "raised", 3, "call", 103),
        gw.alert("alert-gap-4", "raised", 4, "call", 104),
      ];
      for (const [ls, seq] of [
        [1, 101],
        [2, 102],
        [5, 105],
      ] as const)
        await gw.publish(gw.alert(`alert-gap-${ls}`, "raised", ls, "call", seq));
      await waitDecision([r], "alert_stored", () => true, 3);
      gw.seq = 106;
      // Replay drained, the alert lane at 7: 3–4 missing between, 6–7 missing at the tail.
      await gw.online({ drained: true, laneSeq: { alert: 7, event: 0, telemetry: 0 } });
      const asked = await waitDecision([r], "gap_asked", () => true, 2);
      expect(asked.map((l) => [l.from_lane_seq, l.to_lane_seq, l.from_seq, l.to_seq])).toEqual([
        [3, 4, 103, 104],
        [6, 7, 106, 106],
      ]);
      await waitFor("the resend at the gateway", () => gw.commands.some((c) => c.name === "resend"));
      expect(gw.commands.find((c) => c.name === "resend")).toMatchObject({
        verified: true,
        command: { body: { from_seq: 103, to_seq: 106 } },
      });
      // The gateway resends 3 and 4 (same ids); 6 and 7 are outside its retention.
      for (const env of withheld) await gw.publish(env);
      const [filled] = await waitDecision([r], "gap_filled");
      expect(filled).toMatchObject({ lane: "alert", from_lane_seq: 3, to_lane_seq: 4 });
      await gw.online({ drained: true, laneSeq: { alert: 7, event: 0, telemetry: 0 } });
      const [lost] = await waitDecision([r], "gap_lost");
      expect(lost).toMatchObject({ lane: "alert", from_lane_seq: 6, to_lane_seq: 7 });
      // Settled gaps are not asked for again.
      await gw.online({ drained: true, laneSeq: { alert: 7, event: 0, telemetry: 0 } });
      await waitFor(
        "the third heartbeat",
        async () => (await r.store.getGateway("home-gap"))?.lastSeq === 106,
      );
      expect(decisions([r], "gap_asked")).toHaveLength(2);
    } finally {
      await gw.close();
      await r.stop();
    }
  }, 60_000);
});
