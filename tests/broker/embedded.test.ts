import { createServer } from "node:net";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startEmbeddedBroker } from "../../src/broker/embedded.js";
import { ErrorCode, isHearthError } from "../../src/core/errors.js";
import { waitFor } from "../helpers/wait.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An MQTT 3.1.1 client (aedes 1.x speaks no MQTT 5), connected. */
async function client(url: string): Promise<MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 });
  cleanups.push(() => new Promise<void>((resolve) => c.end(true, {}, () => resolve())));
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
  });
  return c;
}

/** Whether a TCP server can listen on 127.0.0.1:`port` (nothing else holds it). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

describe("the embedded broker (aedes)", () => {
  it("starts on a free loopback port and says where", async () => {
    const broker = await startEmbeddedBroker();
    cleanups.push(() => broker.close());
    expect(broker.host).toBe("127.0.0.1");
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    expect(await canListen(broker.port)).toBe(false);
  });

  it("a QoS 1 publish is acknowledged and reaches a subscriber at QoS 1", async () => {
    const broker = await startEmbeddedBroker();
    cleanups.push(() => broker.close());
    const sub = await client(broker.url);
    const received: { topic: string; payload: string; qos: number }[] = [];
    sub.on("message", (topic, payload, packet) =>
      received.push({ topic, payload: payload.toString(), qos: packet.qos }),
    );
    await sub.subscribeAsync("hearth/v1/h1/+", { qos: 1 });
    const pub = await client(broker.url);
    // Resolves on PUBACK: the broker took responsibility for the message.
    await pub.publishAsync("hearth/v1/h1/alert", '{"n":1}', { qos: 1 });
    await waitFor("the message at the subscriber", () => received.length > 0, { detail: () => received });
    expect(received).toEqual([{ topic: "hearth/v1/h1/alert", payload: '{"n":1}', qos: 1 }]);
  });

  it("close drops the clients and frees the port; closing again is harmless", async () => {
    const broker = await startEmbeddedBroker();
    const c = await client(broker.url);
    let dropped = false;
    c.on("close", () => {
      dropped = true;
    });
    await broker.close();
    await broker.close();
    await waitFor("the client to be dropped", () => dropped);
    expect(await canListen(broker.port)).toBe(true);
  });

  it("a port already taken: PortOpen naming it", async () => {
    const first = await startEmbeddedBroker();
    cleanups.push(() => first.close());
    const e = await startEmbeddedBroker({ port: first.port }).catch((x: unknown) => x);
    expect(isHearthError(e, ErrorCode.PortOpen)).toBe(true);
    expect((e as Error).message).toContain("EADDRINUSE");
    expect((e as { context: Record<string, unknown> }).context).toEqual({
      host: "127.0.0.1",
      port: first.port,
    });
  });
});
