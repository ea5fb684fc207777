import { EventEmitter } from "node:events";
import type { MqttClient, Packet } from "mqtt";
import { describe, expect, it } from "vitest";
import type { BrokerConfig } from "../../src/config/schema.js";
import { Connection, NO_MATCHING_SUBSCRIBERS } from "../../src/uplink/connection.js";

type PublishCb = (err?: Error, packet?: Packet) => void;

/** MQTT.js as Connection.publish meets it: packets come in through `packetreceive`, then the callback. */
class FakeClient extends EventEmitter {
  readonly callbacks: PublishCb[] = [];
  publish(_topic: string, _payload: string, _o: unknown, cb: PublishCb): this {
    this.callbacks.push(cb);
    return this;
  }
}

function connection(version: "3.1.1" | "5") {
  const client = new FakeClient();
  const broker = { url: "mqtt://b:1883", mqtt_version: version } as BrokerConfig;
  // The fake has only what Connection uses of MqttClient (on, publish).
  const c = new Connection(client as unknown as MqttClient, broker, broker.url, 1);
  const results: [Error | undefined, boolean | undefined][] = [];
  c.publish("t", "{}", false, (err, noSubscribers) => results.push([err, noSubscribers]));
  c.publish("t", "{}", false, (err, noSubscribers) => results.push([err, noSubscribers]));
  return { client, results };
}

const puback = (messageId: number, reasonCode: number) =>
  ({ cmd: "puback", messageId, reasonCode }) as Packet;
/** What MQTT.js hands the publish callback on success: the stored PUBLISH, not the PUBACK. */
const stored = (messageId: number) => ({ cmd: "publish", messageId, qos: 1 }) as Packet;

describe("Connection.publish: the PUBACK's 'no matching subscribers' (MQTT 5)", () => {
  it("tells the publish whose PUBACK said no subscription matches, and only that one", () => {
    const { client, results } = connection("5");
    client.emit("packetreceive", puback(1, NO_MATCHING_SUBSCRIBERS));
    client.callbacks[0]?.(undefined, stored(1));
    client.emit("packetreceive", puback(2, 0));
    client.callbacks[1]?.(undefined, stored(2));
    expect(results).toEqual([
      [undefined, true],
      [undefined, false],
    ]);
  });

  it("forgets the id once read: a reused packet id is not taken for unrouted", () => {
    const { client, results } = connection("5");
    client.emit("packetreceive", puback(1, NO_MATCHING_SUBSCRIBERS));
    client.callbacks[0]?.(undefined, stored(1));
    client.emit("packetreceive", puback(1, 0));
    client.callbacks[1]?.(undefined, stored(1));
    expect(results.map((r) => r[1])).toEqual([true, false]);
  });

  it("on MQTT 3.1.1 never says so (the protocol has no reason codes)", () => {
    const { client, results } = connection("3.1.1");
    client.emit("packetreceive", puback(1, NO_MATCHING_SUBSCRIBERS));
    client.callbacks[0]?.(undefined, stored(1));
    expect(results).toEqual([[undefined, false]]);
    expect(client.listenerCount("packetreceive")).toBe(0);
  });
});
