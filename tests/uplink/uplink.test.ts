import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { AlertBody, StatusBody } from "../../src/contract/messages.js";
import { commandTopic, TOPIC_ROOT, topicFor } from "../../src/contract/topics.js";
import { VirtualClock } from "../../src/core/clock.js";
import {
  freePort,
  mosquittoAvailable,
  type Received,
  startAedes,
  startMosquitto,
  startProxy,
  subscribe,
  type TestBroker,
} from "../helpers/brokers.js";
import { driveUntil, waitFor } from "../helpers/wait.js";
import { alertBody, eventBody, telemetryBody } from "../outbox/fixtures.js";
import { broker, makeRig } from "./rig.js";

interface Kind {
  name: string;
  version: "3.1.1" | "5";
  start: () => Promise<TestBroker>;
  available: boolean;
}

const mosquitto = mosquittoAvailable();
const KINDS: Kind[] = [
  { name: "aedes, MQTT 3.1.1", version: "3.1.1", start: startAedes, available: true },
  { name: "Mosquitto, MQTT 3.1.1", version: "3.1.1", start: () => startMosquitto(), available: mosquitto },
  { name: "Mosquitto, MQTT 5", version: "5", start: () => startMosquitto(), available: mosquitto },
];

const stored = (msgs: readonly Received[]) =>
  msgs.filter((m) => m.envelope.type !== "status" && m.envelope.type !== "reply");
const statuses = (msgs: readonly Received[]) =>
  msgs.filter((m) => m.envelope.type === "status").map((m) => m.envelope.body as StatusBody);
const alertIdOf = (m: Received) => (m.envelope.body as AlertBody).alert;

for (const kind of KINDS) {
  describe.skipIf(!kind.available)(`Uplink with ${kind.name}`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanup.reverse()) await c();
      cleanup.length = 0;
    });
    const protocolVersion = kind.version === "5" ? 5 : 4;
    const startBroker = async () => {
      const b = await kind.start();
      cleanup.push(() => b.close());
      return b;
    };
    const cloud = async (url: string, home: string) => {
      const s = await subscribe(url, `${TOPIC_ROOT}/${home}/+`, { protocolVersion });
      cleanup.push(() => s.close());
      return s;
    };
    const rigFor = (...args: Parameters<typeof makeRig>) => {
      const r = makeRig(...args);
      cleanup.push(() => r.close());
      return r;
    };

    it("publishes the outbox in lane order, marks it delivered, and leaves a retained online status", async () => {
      const b = await startBroker();
      const rig = rigFor({ brokers: [broker(b.url, kind.version)] });
      const sub = await cloud(b.url, rig.home);
      rig.outbox.putTelemetry(telemetryBody(1));
      rig.outbox.flush();
      const ev = rig.outbox.putEvent(eventBody(1));
      const al = rig.outbox.putAlert(alertBody("alert-0001"));
      rig.uplink.start();
      await sub.waitFor((m) => stored(m).length >= 3);
      expect(sub.invalid).toEqual([]);
      expect(stored(sub.messages).map((m) => m.envelope.seq)).toEqual([al.seq, ev.seq, 1]);
      expect(stored(sub.messages)[0]?.envelope).toEqual(al);
      expect(stored(sub.messages).map((m) => m.topic)).toEqual([
        topicFor(rig.home, "alert"),
        topicFor(rig.home, "event"),
        topicFor(rig.home, "telemetry"),
      ]);
      await waitFor("delivery marks", () => rig.outbox.pending(10).length === 0);
      expect(rig.uplink.state()).toMatchObject({ connected: true, broker: b.url, attempts: 0, published: 3 });

      // A newcomer gets the retained status: online, with health, carrying the latest seq.
      const late = await subscribe(b.url, topicFor(rig.home, "status"), { protocolVersion });
      cleanup.push(() => late.close());
      const [st] = await late.waitFor((m) => m.length >= 1);
      expect(st?.retain).toBe(true);
      expect(st?.envelope.body).toMatchObject({ state: "online", version: "0.1.0-test" });
      expect((st?.envelope.body as StatusBody | undefined)?.health?.outbox).toBeDefined();
      expect(st?.envelope.seq).toBe(rig.outbox.lastSeq());
      if (kind.version === "5")
        expect(stored(sub.messages)[0]?.packet.properties?.contentType).toBe("application/json");

      // New rows go out as they are committed.
      const later = rig.outbox.putEvent(eventBody(2));
      await sub.waitFor((m) => m.some((x) => x.envelope.id === later.id));
    });

    it("has its last will published when its socket dies, then comes back online", async () => {
      const b = await startBroker();
      const proxy = await startProxy(b.port);
      cleanup.push(() => proxy.close());
      const rig = rigFor({ brokers: [broker(`mqtt://127.0.0.1:${proxy.port}`, kind.version)] });
      const sub = await cloud(b.url, rig.home);
      rig.uplink.start();
      await sub.waitFor((m) => statuses(m).some((s) => s.state === "online"));
      const down = once(rig.uplink, "disconnected");
      proxy.cut();
      await down;
      await sub.waitFor((m) => statuses(m).some((s) => s.state === "offline"));
      const offline = statuses(sub.messages).find((s) => s.state === "offline");
      expect(offline).toMatchObject({ state: "offline", reason: "connection lost", version: "0.1.0-test" });
      await sub.waitFor((m) => statuses(m).at(-1)?.state === "online");
      expect(sub.invalid).toEqual([]);
    });

    it("numbers its sessions in online and will, and says in the heartbeat when the replay drained", async () => {
      const b = await startBroker();
      const proxy = await startProxy(b.port);
      cleanup.push(() => proxy.close());
      const rig = rigFor({
        brokers: [broker(`mqtt://127.0.0.1:${proxy.port}`, kind.version)],
        heartbeatMs: 100,
      });
      const sub = await cloud(b.url, rig.home);
      for (let i = 0; i < 3; i++) rig.outbox.putEvent(eventBody(i));
      rig.uplink.start();
      await sub.waitFor((m) => statuses(m).some((s) => s.health?.replay_drained === true));
      const online = statuses(sub.messages).filter((s) => s.state === "online");
      // At connect three rows were pending: the first status cannot say drained.
      expect(online[0]?.health?.replay_drained).toBe(false);
      expect(online.at(-1)?.health?.lane_seq).toEqual({ alert: 0, event: 3, telemetry: 0 });
      const session = online[0]?.session ?? 0;
      expect(session).toBeGreaterThanOrEqual(1);
      expect(new Set(online.map((s) => s.session))).toEqual(new Set([session]));
      const down = once(rig.uplink, "disconnected");
      proxy.cut();
      await down;
      await sub.waitFor((m) => statuses(m).some((s) => s.state === "offline"));
      expect(statuses(sub.messages).find((s) => s.state === "offline")?.session).toBe(session);
      await sub.waitFor((m) => statuses(m).some((s) => s.state === "online" && (s.session ?? 0) > session));
      expect(sub.invalid).toEqual([]);
    });

    it("after an outage delivers every message, the alert first, with stable ids", async () => {
      const b = await startBroker();
      const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
      const rig = rigFor({ brokers: [broker(b.url, kind.version)], clock });
      const sub = await cloud(b.url, rig.home);
      rig.uplink.start();
      await waitFor("first connection", () => rig.uplink.state().connected);
      const before = rig.outbox.putEvent(eventBody(0));
      await sub.waitFor((m) => m.some((x) => x.envelope.id === before.id));

      const down = once(rig.uplink, "disconnected");
      await b.stop();
      await down;
      const ids = new Set<string>();
      for (let i = 0; i < 1000; i++) {
        rig.outbox.putTelemetry(telemetryBody(i));
        if (i === 500) ids.add(rig.outbox.putAlert(alertBody("alert-call-1")).id);
      }
      rig.outbox.flush();
      for (const m of rig.outbox.pending(2000)) ids.add(m.id);
      expect(ids.size).toBe(1001);
      // One attempt while the broker is away fails and backs off.
      clock.advanceBy(400);
      await waitFor("a failed attempt", () => rig.uplink.state().attempts >= 1);
      expect(rig.uplink.state().connected).toBe(false);

      await b.restart();
      await sub.ready();
      const mark = sub.messages.length;
      await driveUntil(clock, "reconnection", () => rig.uplink.state().connected);
      await sub.waitFor((m) => new Set(stored(m.slice(mark)).map((x) => x.envelope.id)).size >= 1001, 40_000);
      const after = stored(sub.messages.slice(mark));
      expect(after[0]?.envelope.type).toBe("alert");
      const seen = new Map<string, string>();
      for (const m of after) {
        const text = JSON.stringify(m.envelope);
        // A duplicate is allowed only as the very same envelope.
        expect(seen.get(m.envelope.id) ?? text).toBe(text);
        seen.set(m.envelope.id, text);
      }
      for (const id of ids) expect(seen.has(id)).toBe(true);
      const tele = after.filter((m) => m.envelope.type === "telemetry").map((m) => m.envelope.seq);
      expect(tele).toEqual([...tele].sort((x, y) => x - y));
      await waitFor("all marked delivered", () => rig.outbox.pending(10).length === 0);
      expect(sub.invalid).toEqual([]);
    });

    it("publishes an open alert again after each reconnect, until it is acknowledged", async () => {
      const b = await startBroker();
      const proxy = await startProxy(b.port);
      cleanup.push(() => proxy.close());
      const rig = rigFor({ brokers: [broker(`mqtt://127.0.0.1:${proxy.port}`, kind.version)] });
      const sub = await cloud(b.url, rig.home);
      const raised = rig.outbox.putAlert(alertBody("alert-open-1"));
      rig.uplink.start();
      await sub.waitFor((m) => m.some((x) => x.envelope.id === raised.id));
      await waitFor("delivery mark", () => rig.outbox.openAlerts()[0]?.delivered === true);
      const countRaised = () => sub.messages.filter((m) => m.envelope.id === raised.id).length;

      const reconnect = async () => {
        const up = once(rig.uplink, "connected");
        proxy.cut();
        await up;
        // Anything put now is drained after the open alerts: once it arrives, the republish is done.
        const marker = rig.outbox.putEvent(eventBody(99));
        await sub.waitFor((m) => m.some((x) => x.envelope.id === marker.id));
      };
      await reconnect();
      expect(countRaised()).toBe(2);
      const republished = sub.messages.filter((m) => m.envelope.id === raised.id);
      expect(republished[1]?.envelope).toEqual(raised);

      const ack = rig.outbox.putAlert({
        ...alertBody("alert-open-1", "acknowledged"),
        cause: "cloud",
        by: "nurse",
      });
      await sub.waitFor((m) => m.some((x) => x.envelope.id === ack.id));
      await waitFor("ack delivered", () => rig.outbox.pending(10).length === 0);
      await reconnect();
      expect(countRaised()).toBe(2);
      expect(
        sub.messages.filter((m) => m.envelope.type === "alert" && alertIdOf(m) === "alert-open-1"),
      ).toHaveLength(3);
    });

    it("answers commands, and answers a broken or unknown one with an error without crashing", async () => {
      const b = await startBroker();
      const rig = rigFor({ brokers: [broker(b.url, kind.version)] });
      const sub = await cloud(b.url, rig.home);
      rig.uplink.start();
      await waitFor("connection", () => rig.uplink.state().connected);
      await sub.waitFor((m) => statuses(m).length >= 1);
      const send = (name: string, payload: string) =>
        new Promise<void>((resolve, reject) =>
          sub.client.publish(commandTopic(rig.home, name), payload, { qos: 1 }, (e) =>
            e ? reject(e) : resolve(),
          ),
        );
      const replies = () =>
        sub.messages.filter((m) => m.envelope.type === "reply").map((m) => m.envelope.body);
      await send("bogus", "{not json");
      await send(
        "teleport",
        JSON.stringify({ v: 1, id: "cmd-00000002", ts: "2026-01-01T00:00:00Z", body: {} }),
      );
      await send("ping", JSON.stringify({ v: 1, id: "cmd-00000003", ts: "2026-01-01T00:00:00Z", body: {} }));
      await sub.waitFor((m) => m.filter((x) => x.envelope.type === "reply").length >= 3);
      expect(replies()).toEqual(
        expect.arrayContaining([
          {
            command_id: "unknown",
            command: "bogus",
            status: "error",
            error: { code: "failed", message: "unknown command 'bogus'" },
          },
          {
            command_id: "cmd-00000002",
            command: "teleport",
            status: "error",
            error: { code: "failed", message: "unknown command 'teleport'" },
          },
          { command_id: "cmd-00000003", command: "ping", status: "ok", data: { pong: true } },
        ]),
      );
      expect(rig.uplink.state().connected).toBe(true);
      expect(sub.invalid).toEqual([]);
    });

    it("publishes again, with the same ids, what was in flight when the link broke", async () => {
      const b = await startBroker();
      const proxy = await startProxy(b.port);
      cleanup.push(() => proxy.close());
      const rig = rigFor({ brokers: [broker(`mqtt://127.0.0.1:${proxy.port}`, kind.version)] });
      const sub = await cloud(b.url, rig.home);
      for (let i = 0; i < 600; i++) rig.outbox.putTelemetry(telemetryBody(i));
      rig.outbox.flush();
      const ids = new Set(rig.outbox.pending(1000).map((m) => m.id));
      let delivered = 0;
      rig.uplink.on("delivered", (n) => {
        delivered += n;
      });
      const firstAck = once(rig.uplink, "delivered");
      const down = once(rig.uplink, "disconnected");
      rig.uplink.start();
      await firstAck;
      proxy.cut();
      await down;
      await waitFor("the rest after reconnection", () => rig.outbox.pending(1000).length === 0);
      const have = () => new Set(stored(sub.messages).map((m) => m.envelope.id));
      await sub.waitFor(() => [...ids].every((id) => have().has(id)));
      const got = new Map<string, string>();
      for (const m of stored(sub.messages)) {
        const text = JSON.stringify(m.envelope);
        // A duplicate is allowed only as the very same envelope.
        expect(got.get(m.envelope.id) ?? text).toBe(text);
        got.set(m.envelope.id, text);
      }
      expect(got.size).toBe(600);
      expect(sub.invalid).toEqual([]);
      expect(delivered).toBeGreaterThanOrEqual(600);
      expect(rig.uplink.state().published).toBe(delivered);
    });

    it("stop() ends promptly while it cannot reach any broker", async () => {
      const dead = `mqtt://127.0.0.1:${await freePort()}`;
      const rig = makeRig({ brokers: [broker(dead, kind.version)] });
      rig.uplink.start();
      await waitFor("failed attempts", () => rig.uplink.state().attempts >= 2);
      await rig.close();
      const attempts = rig.uplink.state().attempts;
      expect(rig.uplink.state().connected).toBe(false);
      // No timer survives stop(): nothing tries again.
      await new Promise((r) => setTimeout(r, 600));
      expect(rig.uplink.state().attempts).toBe(attempts);
    });

    it("fails over: first broker dead, second alive", async () => {
      const b = await startBroker();
      const dead = `mqtt://127.0.0.1:${await freePort()}`;
      const rig = rigFor({ brokers: [broker(dead, kind.version), broker(b.url, kind.version)] });
      const connected = once(rig.uplink, "connected");
      rig.uplink.start();
      const [url] = await connected;
      expect(url).toBe(b.url);
      expect(rig.uplink.state()).toMatchObject({ connected: true, broker: b.url, attempts: 0 });
      expect(rig.uplink.state().lastError).toMatch(/ECONNREFUSED/);
    });

    it("stop() leaves a retained offline status with reason 'stopped'", async () => {
      const b = await startBroker();
      const rig = makeRig({ brokers: [broker(b.url, kind.version)] });
      rig.uplink.start();
      await waitFor("connection", () => rig.uplink.state().connected);
      const disconnected = once(rig.uplink, "disconnected");
      await rig.close();
      expect(await disconnected).toEqual(["stopped"]);
      const late = await subscribe(b.url, topicFor(rig.home, "status"), { protocolVersion });
      cleanup.push(() => late.close());
      const [st] = await late.waitFor((m) => m.length >= 1);
      expect(st?.retain).toBe(true);
      expect(st?.envelope.body).toMatchObject({ state: "offline", reason: "stopped" });
    });
  });
}
