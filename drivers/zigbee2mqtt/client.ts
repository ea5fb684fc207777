import { readFileSync } from "node:fs";
import type { IClientOptions, MqttClient } from "mqtt";
import { Backoff } from "../../src/core/backoff.js";
import type { Clock, Timer } from "../../src/core/clock.js";
import { errorMessage } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { connectMqtt } from "../../src/core/mqtt-connect.js";
import { SECOND_MS } from "../../src/core/time.js";

export interface Z2mBroker {
  url: string;
  mqttVersion: "3.1.1" | "5";
  clientId: string;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string; reject_unauthorized: boolean; servername?: string };
}

export interface Z2mClientOptions {
  broker: Z2mBroker;
  /** The one subscription (topics.ts). */
  topic: string;
  /** Network time (back-off): real time even when the pipeline's clock is accelerated. */
  clock: Clock;
  log: Logger;
  onMessage(topic: string, payload: Buffer, retained: boolean): void;
  onConnection(up: boolean, detail: string): void;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

/** The URL without user info, for logs. */
function safe(url: string): string {
  return url.replace(/\/\/[^/]*@/, "//");
}

/**
 * The connection to the broker Zigbee2MQTT publishes to: subscribe on every connect, and after a
 * drop try again with the one back-off the uplink uses (MQTT.js's own reconnect is off, as there).
 * No persistent session: what matters after a gap (the bridge state, the device list, availability)
 * is retained by Zigbee2MQTT and comes back with the subscription.
 */
export class Zigbee2mqttClient {
  readonly #o: Z2mClientOptions;
  readonly #backoff: Backoff;
  #client: MqttClient | undefined;
  #timer: Timer | undefined;
  #stopped = false;
  #lastError = "";

  constructor(o: Z2mClientOptions) {
    this.#o = o;
    this.#backoff = new Backoff({
      initialMs: o.backoffInitialMs ?? SECOND_MS,
      maxMs: o.backoffMaxMs ?? 30 * SECOND_MS,
    });
  }

  start(): void {
    this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    const c = this.#client;
    this.#client = undefined;
    if (c) await c.endAsync(true).catch(() => undefined);
  }

  #options(): IClientOptions {
    const b = this.#o.broker;
    const opts: IClientOptions = {
      protocolVersion: b.mqttVersion === "5" ? 5 : 4,
      clientId: b.clientId,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 0,
      connectTimeout: 15 * SECOND_MS,
    };
    if (b.username !== undefined) opts.username = b.username;
    if (b.password !== undefined) opts.password = b.password;
    if (b.tls) {
      if (b.tls.ca) opts.ca = readFileSync(b.tls.ca);
      if (b.tls.cert) opts.cert = readFileSync(b.tls.cert);
      if (b.tls.key) opts.key = readFileSync(b.tls.key);
      opts.rejectUnauthorized = b.tls.reject_unauthorized;
      if (b.tls.servername) opts.servername = b.tls.servername;
    }
    return opts;
  }

  #connect(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const { log, broker } = this.#o;
    let c: MqttClient;
    try {
      c = connectMqtt(broker.url, this.#options());
    } catch (e) {
      this.#down(`cannot connect: ${errorMessage(e)}`);
      return;
    }
    this.#client = c;
    let up = false;
    c.on("connect", () => {
      c.subscribe(this.#o.topic, { qos: 1 }, (err) => {
        if (err) {
          log.warn({ err, topic: this.#o.topic }, `Zigbee2MQTT subscription refused: ${errorMessage(err)}`);
          c.end(true);
          return;
        }
        up = true;
        this.#backoff.reset();
        log.info({ url: safe(broker.url), topic: this.#o.topic }, "Connected to the Zigbee2MQTT broker");
        this.#o.onConnection(true, "connected");
      });
    });
    c.on("message", (topic, payload, packet) => {
      try {
        this.#o.onMessage(topic, payload, packet.retain === true);
      } catch (e) {
        log.error({ err: e, topic }, `Zigbee2MQTT message handling failed: ${errorMessage(e)}`);
      }
    });
    c.on("error", (e) => {
      this.#lastError = errorMessage(e);
    });
    c.on("close", () => {
      if (this.#client !== c) return;
      this.#client = undefined;
      c.removeAllListeners("message");
      c.end(true);
      const why = this.#lastError || "connection closed";
      this.#lastError = "";
      if (up) log.warn({ url: safe(broker.url), reason: why }, "Lost the Zigbee2MQTT broker");
      this.#down(why);
    });
  }

  #down(detail: string): void {
    this.#o.onConnection(false, detail);
    if (this.#stopped || this.#timer) return;
    this.#timer = this.#o.clock.setTimeout(() => this.#connect(), this.#backoff.next());
  }
}
