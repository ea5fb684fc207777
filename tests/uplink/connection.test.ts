import { EventEmitter } from "node:events";
import type { IClientOptions, MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import type { Envelope, StatusBody } from "../../src/contract/messages.js";
import { commandFilter, topicFor } from "../../src/contract/topics.js";
import { VirtualClock } from "../../src/core/clock.js";
import { ErrorCode } from "../../src/core/errors.js";
import { SeededIds } from "../../src/core/ids.js";
import { type Logger, silentLogger } from "../../src/core/log.js";
import { MINUTE_MS, SECOND_MS, WEEK_MS } from "../../src/core/time.js";
import { Uplink } from "../../src/uplink/uplink.js";
import { captureLog } from "../helpers/log-capture.js";
import { waitFor } from "../helpers/wait.js";
import { eventBody } from "../outbox/fixtures.js";
import { MemoryOutbox } from "../outbox/memory-outbox.js";
import { broker, pingHandler } from "./rig.js";

const HOME = "home-1";

interface Published {
  topic: string;
  envelope: Envelope;
  retain: boolean;
  ack: (err?: Error) => void;
}

/** Just enough of an MQTT.js client for the uplink: it records, and the test plays the broker. */
class FakeClient extends EventEmitter {
  readonly published: Published[] = [];
  readonly subscribed: string[] = [];
  ended = false;

  constructor(
    readonly url: string,
    readonly options: IClientOptions,
    /** Statuses wait for the test's ack like any other publish. */
    readonly holdStatus = false,
  ) {
    super();
  }

  publish(topic: string, payload: string, o: { retain?: boolean }, cb: (err?: Error) => void): this {
    this.published.push({
      topic,
      envelope: JSON.parse(payload) as Envelope,
      retain: o.retain === true,
      ack: cb,
    });
    // Statuses are acknowledged at once, so that stop() need not wait for its offline status.
    if (o.retain && !this.holdStatus) queueMicrotask(() => cb());
    return this;
  }

  subscribe(filter: string, _o: unknown, cb?: (err: Error | null) => void): this {
    this.subscribed.push(filter);
    cb?.(null);
    return this;
  }

  end(_force?: boolean, _o?: unknown, cb?: () => void): this {
    this.ended = true;
    cb?.();
    return this;
  }

  stored(): Published[] {
    return this.published.filter((p) => p.envelope.type !== "status" && p.envelope.type !== "reply");
  }
}

describe("Uplink through an injected connect (no socket)", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  const make = (
    urls: string[],
    o: { health?: () => StatusBody["health"]; log?: Logger; holdStatus?: boolean } = {},
  ) => {
    const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
    const outbox = new MemoryOutbox({
      home: HOME,
      timeZone: "Asia/Shanghai",
      clock,
      ids: new SeededIds("outbox"),
      maxSizeBytes: 64 * 1024 * 1024,
      retentionMs: WEEK_MS,
      telemetryBatch: 1,
      telemetryFlushMs: 2000,
    });
    outbox.open();
    const clients: FakeClient[] = [];
    const uplink = new Uplink({
      home: HOME,
      timeZone: "Asia/Shanghai",
      brokers: urls.map((u) => broker(u, "5")),
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
      health: o.health ?? (() => ({ outbox: outbox.depth() })),
      log: o.log ?? silentLogger(),
      random: () => 0,
      connect: (url, options) => {
        const c = new FakeClient(url, options, o.holdStatus);
        clients.push(c);
        return c as unknown as MqttClient;
      },
    });
    cleanup.push(async () => {
      await uplink.stop();
      outbox.close();
    });
    return { clock, outbox, clients, uplink };
  };
  const connack = (receiveMaximum?: number) => ({
    cmd: "connack",
    sessionPresent: false,
    ...(receiveMaximum ? { properties: { receiveMaximum } } : {}),
  });

  it("fails over to the next broker at once and waits (equal jitter) after a whole round", () => {
    const { clock, clients, uplink } = make(["mqtt://a:1883", "mqtt://b:1883"]);
    uplink.start();
    expect(clients.map((c) => c.url)).toEqual(["mqtt://a:1883"]);
    const will = clients[0]?.options.will;
    expect(will?.topic).toBe(topicFor(HOME, "status"));
    expect(will?.retain).toBe(true);
    expect((JSON.parse(String(will?.payload)) as Envelope<"status">).body).toEqual({
      state: "offline",
      version: "0.1.0-test",
      reason: "connection lost",
      session: 1,
    });

    clients[0]?.emit("error", new Error("connect ECONNREFUSED"));
    clock.advanceBy(0);
    expect(clients.map((c) => c.url)).toEqual(["mqtt://a:1883", "mqtt://b:1883"]);
    clients[1]?.emit("error", new Error("connect ECONNREFUSED"));
    expect(uplink.state()).toMatchObject({
      connected: false,
      attempts: 2,
      lastError: "connect ECONNREFUSED",
    });
    // Round over: initial 1 s with equal jitter at random() = 0 is half of it.
    clock.advanceBy(499);
    expect(clients).toHaveLength(2);
    clock.advanceBy(1);
    expect(clients.map((c) => c.url)).toEqual(["mqtt://a:1883", "mqtt://b:1883", "mqtt://a:1883"]);

    clients[2]?.emit("connect", connack());
    expect(uplink.state()).toMatchObject({ connected: true, broker: "mqtt://a:1883", attempts: 0 });
    expect(clients[2]?.subscribed).toEqual([commandFilter(HOME)]);
    const [status] = clients[2]?.published ?? [];
    expect(status?.retain).toBe(true);
    expect((status?.envelope.body as StatusBody | undefined)?.state).toBe("online");
    // One session number per attempt: the third attempt's will and its online status share 3.
    expect((status?.envelope.body as StatusBody | undefined)?.session).toBe(3);
    const will3 = JSON.parse(String(clients[2]?.options.will?.payload)) as Envelope<"status">;
    expect(will3.body.session).toBe(3);
  });

  it("drains through the client, marks acked rows delivered, republishes the rest after a drop", async () => {
    const { clock, outbox, clients, uplink } = make(["mqtt://a:1883"]);
    const events = [0, 1, 2].map((i) => outbox.putEvent(eventBody(i)));
    uplink.start();
    const first = clients[0] as FakeClient;
    first.emit("connect", connack(2));
    await waitFor("two in flight", () => first.stored().length === 2);
    expect(uplink.state().inFlight).toBe(2);
    first.stored()[0]?.ack();
    await waitFor("the third after the first ack", () => first.stored().length === 3);
    expect(outbox.pending(10).map((m) => m.seq)).toEqual([events[1]?.seq, events[2]?.seq]);

    const down: string[] = [];
    uplink.on("disconnected", (reason) => down.push(reason));
    first.emit("close");
    expect(down).toEqual(["connection closed"]);
    expect(first.ended).toBe(true);
    // After a drop: a new round from the same broker, after the back-off.
    clock.advanceBy(500);
    const second = clients[1] as FakeClient;
    expect(second.url).toBe("mqtt://a:1883");
    second.emit("connect", connack());
    await waitFor("the unacknowledged again", () => second.stored().length === 2);
    expect(second.stored().map((p) => p.envelope)).toEqual([events[1], events[2]]);
    for (const p of second.stored()) p.ack();
    await waitFor("all delivered", () => outbox.pending(10).length === 0);
    expect(uplink.state().published).toBe(3);
  });

  it("keeps the online status within the receive maximum, and fills its slot at the status's PUBACK", async () => {
    const { outbox, clients, uplink } = make(["mqtt://a:1883"], { holdStatus: true });
    for (let i = 0; i < 3; i++) outbox.putEvent(eventBody(i));
    uplink.start();
    const client = clients[0] as FakeClient;
    client.emit("connect", connack(2));
    await waitFor("the first event", () => client.stored().length === 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.stored()).toHaveLength(1);
    const status = client.published.find((p) => p.envelope.type === "status");
    status?.ack();
    await waitFor("the second event in the status's slot", () => client.stored().length === 2);
  });

  it("sends a status whose health breaks the contract without the health, and says why", () => {
    const { log, lines } = captureLog();
    const health = () => ({ clock: "sometimes" }) as unknown as StatusBody["health"];
    const { clients, uplink } = make(["mqtt://a:1883"], { health, log });
    uplink.start();
    clients[0]?.emit("connect", connack());
    const [status] = clients[0]?.published ?? [];
    expect(status?.envelope.body).toEqual({ state: "online", version: "0.1.0-test", session: 1 });
    const logged = lines.find((l) => l.level === 50 && String(l.msg).startsWith("Status message breaks"));
    expect((logged?.err as { code?: number } | undefined)?.code).toBe(ErrorCode.Internal);
  });
});

describe("Connection.flush", () => {
  it("uncorks the socket as often as MQTT.js corked it, so what was published is written now", async () => {
    const { Writable } = await import("node:stream");
    const { Connection } = await import("../../src/uplink/connection.js");
    const written: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        written.push(chunk.toString());
        cb();
      },
    });
    // What mqtt-packet does per packet: cork, write its parts, uncork on the next tick.
    for (const part of ["a", "b"]) {
      stream.cork();
      stream.write(part);
      process.nextTick(() => stream.uncork());
    }
    const client = Object.assign(new EventEmitter(), { stream }) as unknown as MqttClient;
    const c = new Connection(client, { url: "mqtt://x:1883", mqtt_version: "3.1.1" }, "mqtt://x:1883", 1);
    expect(written).toEqual([]);
    c.flush();
    expect(written).toEqual(["a", "b"]);
    expect(stream.writableCorked).toBe(0);
  });
});

describe("Connection.unacknowledged", () => {
  it("counts every publish until its PUBACK or error, and says when one was settled", async () => {
    const { Connection } = await import("../../src/uplink/connection.js");
    const callbacks: ((err?: Error) => void)[] = [];
    const client = Object.assign(new EventEmitter(), {
      publish: (_t: string, _p: string, _o: unknown, cb: (err?: Error) => void) => void callbacks.push(cb),
    }) as unknown as MqttClient;
    const c = new Connection(client, { url: "mqtt://x:1883", mqtt_version: "5" }, "mqtt://x:1883", 1);
    let settled = 0;
    c.onSettled = () => settled++;
    const done: (string | undefined)[] = [];
    c.publish("t/status", "{}", true, (err) => done.push(err?.message));
    c.publish("t/telemetry", "{}", false, (err) => done.push(err?.message));
    expect(c.unacknowledged).toBe(2);
    callbacks[0]?.();
    expect(c.unacknowledged).toBe(1);
    expect(settled).toBe(1);
    callbacks[1]?.(new Error("connection closed"));
    expect(c.unacknowledged).toBe(0);
    expect(settled).toBe(2);
    expect(done).toEqual([undefined, "connection closed"]);
  });
});
