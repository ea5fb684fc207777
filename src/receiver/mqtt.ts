import { randomUUID } from "node:crypto";
import { connect, type IClientOptions, type MqttClient, type Packet } from "mqtt";
import { MESSAGE_TYPES } from "../contract/messages.js";
import { TOPIC_ROOT } from "../contract/topics.js";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";

/** Types taken through the group's shared subscription: each message goes to one instance. */
const SHARED_TYPES = MESSAGE_TYPES.filter((t) => t !== "status");

/**
 * Subscriptions of one instance. Stored types and replies through `$share/<group>/…`, so N instances
 * split the load. `status` is subscribed by every instance without sharing: a broker never sends
 * retained messages on a shared subscription (MQTT 5 §4.8.2), and a receiver starting needs each
 * gateway's retained status; statuses are applied by session order in the store, so taking each on
 * every instance changes nothing twice.
 */
export function subscriptions(group: string, single = false): string[] {
  // One instance alone (a broker without shared subscriptions, such as the demo's aedes) takes every
  // type plainly: nothing to split, and retained statuses still come.
  if (single) return MESSAGE_TYPES.map((t) => `${TOPIC_ROOT}/+/${t}`);
  return [...SHARED_TYPES.map((t) => `$share/${group}/${TOPIC_ROOT}/+/${t}`), `${TOPIC_ROOT}/+/status`];
}

export interface MqttLinkOptions {
  brokers: readonly string[];
  group: string;
  /** Plain subscriptions for one instance alone (see subscriptions). */
  single: boolean;
  /** 5, or 4 (MQTT 3.1.1: no properties). */
  protocolVersion: 4 | 5;
  /** Handles one message; its PUBACK goes to the broker only once this resolves (at least once). */
  onMessage(topic: string, payload: Buffer): Promise<void>;
  log: Logger;
  reconnectMs: number;
}

/**
 * The receiver's MQTT 5 connection. Several brokers: each reconnect tries the next (mqtt.js `servers`),
 * as the gateway fails over.
 *
 * In a group the session ends with the connection (clean start, no expiry). A member's session that
 * outlives it keeps its shared subscriptions: Mosquitto goes on handing that member its share of every
 * message, parked in a session nobody resumes (a restarted instance has a new client id), and drops
 * them at expiry (mosquitto #2662, #1747). A receiver killed with an hour's session took half of the
 * stream for that hour, resends included (tests/receiver/kill.test.ts). With the session gone at the
 * disconnect, the live members take everything; what was in flight to the dead one comes back through
 * gap filling (`cmd/resend`) and the gateway's republish of open alerts.
 * One instance alone (`single`) keeps a persistent session (an hour): nobody else would take what
 * arrives while it reconnects.
 */
export class MqttLink {
  readonly #o: MqttLinkOptions;
  #client: MqttClient | undefined;

  constructor(o: MqttLinkOptions) {
    this.#o = o;
  }

  get connected(): boolean {
    return this.#client?.connected === true;
  }

  start(): Promise<void> {
    const servers = this.#o.brokers.map((u) => {
      const url = new URL(u);
      const protocol = url.protocol.replace(":", "") as "mqtt" | "mqtts" | "ws" | "wss";
      return { host: url.hostname, port: Number(url.port || (protocol === "mqtts" ? 8883 : 1883)), protocol };
    });
    const first = new URL(this.#o.brokers[0] as string);
    const opts: IClientOptions = {
      protocolVersion: this.#o.protocolVersion,
      // A 3.1.1 server need only accept client ids of up to 23 bytes (MQTT 3.1.1 §3.1.3.1).
      clientId:
        this.#o.protocolVersion === 5
          ? `hearth-rx-${this.#o.group}-${randomUUID().slice(0, 8)}`.slice(0, 64)
          : `hearth-rx-${randomUUID().slice(0, 13)}`,
      clean: !this.#o.single,
      ...(this.#o.protocolVersion === 5
        ? { properties: { sessionExpiryInterval: this.#o.single ? 3600 : 0 } }
        : {}),
      reconnectPeriod: this.#o.reconnectMs,
      connectTimeout: 10_000,
      servers,
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    };
    const client = connect(opts);
    this.#client = client;
    // PUBACK after the message is handled: a receiver killed mid-message gets it again.
    client.handleMessage = (packet: Packet, done: (error?: Error) => void) => {
      if (packet.cmd !== "publish") {
        done();
        return;
      }
      this.#o
        .onMessage(
          packet.topic,
          Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
        )
        .then(
          () => done(),
          (e: unknown) => {
            // No PUBACK: sent again on a persistent session's reconnect; in a group, gap filling asks for it.
            this.#o.log.error({ err: e, topic: packet.topic }, "Message handling failed; not acknowledged");
            done(e instanceof Error ? e : new HearthError(String(e), ErrorCode.Internal));
          },
        );
    };
    client.on("error", (e) => this.#o.log.warn({ err: e }, "MQTT error"));
    client.on("offline", () => this.#o.log.warn("MQTT connection lost; reconnecting"));
    // Resolves once connected and subscribed: from then on nothing published is missed.
    return new Promise((resolve) => {
      client.on("connect", () => {
        this.#o.log.info("Connected");
        client.subscribe(subscriptions(this.#o.group, this.#o.single), { qos: 1 }, (err) => {
          if (err) this.#o.log.error({ err }, "Subscribe failed");
          else resolve();
        });
      });
    });
  }

  /**
   * Queues a QoS 1 publish and returns at once: incoming messages are handled one at a time and
   * their handler publishes commands, so waiting here for the PUBACK (an incoming packet) would wait
   * forever. mqtt.js keeps the publish across a reconnect; a failure is logged.
   */
  publish(topic: string, payload: string): Promise<void> {
    const c = this.#client;
    if (!c) return Promise.reject(new HearthError("the MQTT link is not started", ErrorCode.Internal));
    c.publish(
      topic,
      payload,
      this.#o.protocolVersion === 5
        ? { qos: 1, properties: { contentType: "application/json", payloadFormatIndicator: true } }
        : { qos: 1 },
      (err) => {
        if (err) this.#o.log.error({ err, topic }, "Command publish failed");
      },
    );
    return Promise.resolve();
  }

  stop(): Promise<void> {
    const c = this.#client;
    if (!c) return Promise.resolve();
    return new Promise((resolve) => c.end(false, {}, () => resolve()));
  }
}
