/**
 * A PUBACK that leaves publishes in flight and makes us publish nothing is answered by a PINGREQ, so
 * that the TCP acknowledgement of the broker's segment leaves at once (connection.ts, `#answerAck`;
 * docs/decisions/uplink-drain.md). These tests play the broker with a fake MQTT.js client.
 */
import { EventEmitter } from "node:events";
import type { MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { MINUTE_MS, SECOND_MS, WEEK_MS } from "../../src/core/time.js";
import { Connection } from "../../src/uplink/connection.js";
import { PAGE } from "../../src/uplink/drain.js";
import { Uplink } from "../../src/uplink/uplink.js";
import { telemetryBody } from "../outbox/fixtures.js";
import { MemoryOutbox } from "../outbox/memory-outbox.js";
import { broker, pingHandler } from "./rig.js";

/** Publishes are held until the test acknowledges them; pings are counted. */
class FakeClient extends EventEmitter {
  connected = true;
  pings = 0;
  readonly held: { topic: string; retain: boolean; ack: (err?: Error) => void }[] = [];

  publish(topic: string, _p: string, o: { retain?: boolean }, cb: (err?: Error) => void): this {
    this.held.push({ topic, retain: o.retain === true, ack: cb });
    return this;
  }

  subscribe(_f: string, _o: unknown, cb?: (err: Error | null) => void): this {
    cb?.(null);
    return this;
  }

  sendPing(): void {
    this.pings++;
  }

  end(_force?: boolean, _o?: unknown, cb?: () => void): this {
    this.connected = false;
    cb?.();
    return this;
  }
}

/** Lets the microtasks queued so far (the drain's pass, the ping check) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Connection: a PINGREQ after a PUBACK that we answer with nothing", () => {
  const make = () => {
    const client = new FakeClient();
    const c = new Connection(
      client as unknown as MqttClient,
      { url: "mqtt://x:1883", mqtt_version: "5" },
      "mqtt://x:1883",
      1,
    );
    c.connected = true;
    return { client, c };
  };

  it("pings once when PUBACKs leave publishes in flight and nothing was published after them", async () => {
    const { client, c } = make();
    for (let i = 0; i < 3; i++) c.publish("t", "{}", false, () => {});
    // Two PUBACKs handled in one go (as MQTT.js handles one read): one check, one ping.
    client.held[0]?.ack();
    client.held[1]?.ack();
    await settle();
    expect(client.pings).toBe(1);
    expect(c.unacknowledged).toBe(1);
  });

  it("does not ping when a publish answered the PUBACK, nothing is left in flight, or it was refused", async () => {
    const { client, c } = make();
    // Answered by a publish from the callback (the drain's refill): that publish carries the ack.
    c.publish("t", "{}", false, () => c.publish("t", "{}", false, () => {}));
    // Answered by a publish from a microtask the callback queued (the drain's pass).
    c.publish("t", "{}", false, () => queueMicrotask(() => c.publish("t", "{}", false, () => {})));
    client.held[0]?.ack();
    await settle();
    expect(client.pings).toBe(0);
    client.held[1]?.ack();
    await settle();
    expect(client.pings).toBe(0);
    // A refusal is not a PUBACK of a segment we must acknowledge.
    client.held[2]?.ack(new Error("refused"));
    await settle();
    expect(client.pings).toBe(0);
    // The last one in flight: nothing more is due from the broker.
    client.held[3]?.ack();
    await settle();
    expect(c.unacknowledged).toBe(0);
    expect(client.pings).toBe(0);
  });

  it("does not ping on a connection that is down or a client that is not connected", async () => {
    const { client, c } = make();
    for (let i = 0; i < 4; i++) c.publish("t", "{}", false, () => {});
    client.connected = false;
    client.held[0]?.ack();
    await settle();
    client.connected = true;
    c.down = true;
    client.held[1]?.ack();
    await settle();
    expect(client.pings).toBe(0);
  });
});

describe("Uplink: the drain's refill comes before the ping check", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  const make = (backlog: number) => {
    const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
    const outbox = new MemoryOutbox({
      home: "home-1",
      timeZone: "Asia/Shanghai",
      clock,
      ids: new SeededIds("outbox"),
      maxSizeBytes: 64 * 1024 * 1024,
      retentionMs: WEEK_MS,
      telemetryBatch: 1,
      telemetryFlushMs: 2000,
    });
    outbox.open();
    for (let i = 0; i < backlog; i++) outbox.putTelemetry(telemetryBody(i));
    outbox.flush();
    const client = new FakeClient();
    const uplink = new Uplink({
      home: "home-1",
      timeZone: "Asia/Shanghai",
      brokers: [broker("mqtt://a:1883", "5")],
      keepaliveMs: 30 * SECOND_MS,
      heartbeatMs: MINUTE_MS,
      replayRate: Number.POSITIVE_INFINITY,
      backoffInitialMs: SECOND_MS,
      backoffMaxMs: MINUTE_MS,
      clock,
      ids: new SeededIds("uplink"),
      version: "0.1.0-test",
      source: outbox,
      onCommand: pingHandler,
      health: () => ({ outbox: outbox.depth() }),
      log: silentLogger(),
      random: () => 0,
      connect: () => client as unknown as MqttClient,
    });
    cleanup.push(async () => {
      await uplink.stop();
      outbox.close();
    });
    uplink.start();
    client.emit("connect", { cmd: "connack", sessionPresent: false, properties: { receiveMaximum: 20 } });
    return { client, outbox, uplink };
  };

  it("replays a backlog past a page without a ping, then pings while the last PUBACKs are due", async () => {
    const n = PAGE + 30;
    const { client, outbox } = make(n);
    await settle();
    const telemetry = () => client.held.filter((p) => p.topic.endsWith("/telemetry"));
    // The status first: its slot is refilled by the drain.
    client.held.find((p) => p.retain)?.ack();
    await settle();
    expect(client.pings).toBe(0);
    let acked = 0;
    // One PUBACK at a time, each answered by a publish (from the page in hand, or from the next page
    // the pass reads once the page ran out) as long as the backlog lasts.
    while (telemetry().length < n) {
      telemetry()[acked++]?.ack();
      await settle();
    }
    expect(client.pings).toBe(0);
    // Nothing left to publish: each PUBACK that leaves others due is answered by a ping.
    telemetry()[acked++]?.ack();
    await settle();
    expect(client.pings).toBe(1);
    while (acked < n) {
      telemetry()[acked++]?.ack();
      await settle();
    }
    // 20 were due (the receive maximum); every PUBACK but the last left some due.
    expect(client.pings).toBe(19);
    expect(outbox.pending(10)).toEqual([]);
  });
});
