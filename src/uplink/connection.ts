import type { IClientPublishOptions, IConnackPacket, MqttClient, Packet } from "mqtt";
import type { BrokerConfig } from "../config/schema.js";
import { topicFor } from "../contract/topics.js";
import { Backoff } from "../core/backoff.js";
import type { Clock, Timer } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { SECOND_MS } from "../core/time.js";
import { clientOptions, safeUrl } from "./connect-options.js";
import type { ConnectFn } from "./types.js";

/** How long a clean hang-up waits for the broker before it drops the socket. */
export const STOP_WAIT_MS = 3 * SECOND_MS;

/** MQTT 5 PUBACK reason code "No matching subscribers": the broker took the message and dropped it. */
export const NO_MATCHING_SUBSCRIBERS = 0x10;

/** MQTT 5: the payload is JSON, declared as such. */
const JSON_PROPERTIES: IClientPublishOptions["properties"] = {
  contentType: "application/json",
  payloadFormatIndicator: true,
};

/**
 * The PUBLISH options by [MQTT 5][retain], made once: MQTT.js copies them into each packet and never
 * writes to them, so a replay need not build two objects per message.
 */
const PUBLISH_OPTIONS: readonly (readonly IClientPublishOptions[])[] = [
  [
    { qos: 1, retain: false },
    { qos: 1, retain: true },
  ],
  [
    { qos: 1, retain: false, properties: JSON_PROPERTIES },
    { qos: 1, retain: true, properties: JSON_PROPERTIES },
  ],
];

/** One MQTT connection (or attempt). Its state dies with it; the outbox keeps what matters. */
export class Connection {
  readonly client: MqttClient;
  readonly broker: BrokerConfig;
  /** The broker's URL without credentials. */
  readonly url: string;
  readonly v5: boolean;
  connected = false;
  down = false;
  /** The last error on this connection, the reason given when it closes. */
  error: string | undefined;
  /** Most unacknowledged publishes the broker takes (MQTT 5 receive maximum), when its CONNACK said. */
  receiveMaximum: number | undefined;
  /** The connection session number: in this connection's last will and every status on it. */
  readonly session: number;
  /**
   * QoS 1 publishes on this connection awaiting their PUBACK: the drain's, the status, command replies.
   * The receive maximum bounds them all (MQTT 5 §4.9), not only the drain's.
   */
  unacknowledged = 0;
  /** Runs after any publish on this connection was settled (PUBACK or error): a slot is free again. */
  onSettled: (() => void) | undefined;
  /** Packet ids whose PUBACK said "no matching subscribers", until their publish callback reads them. */
  readonly #unrouted = new Set<number>();
  /** Publishes written on this connection: a PUBACK answered by none is followed by a PINGREQ. */
  #writes = 0;
  /** The PINGREQ check is queued for the PUBACKs being handled. */
  #checking = false;

  constructor(client: MqttClient, broker: BrokerConfig, url: string, session: number) {
    this.client = client;
    this.broker = broker;
    this.url = url;
    this.session = session;
    this.v5 = broker.mqtt_version === "5";
    // MQTT.js counts 0x10 as success and hands the publish callback the stored PUBLISH, not the
    // PUBACK, so its reason code is only seen here (emitted before the ack is handled).
    if (this.v5)
      client.on("packetreceive", (p: Packet) => {
        if (p.cmd === "puback" && p.reasonCode === NO_MATCHING_SUBSCRIBERS && p.messageId !== undefined)
          this.#unrouted.add(p.messageId);
      });
  }

  /**
   * Writes what was published in this call to the socket now. MQTT.js corks the socket for each packet
   * and uncorks it on the next tick (mqtt-packet's writeToStream), so packets wait for the rest of the
   * current call; an alert published right after its durable commit should not.
   */
  flush(): void {
    const s = this.client.stream as { writableCorked?: number; uncork?: () => void } | undefined;
    for (let n = s?.writableCorked ?? 0; n > 0; n--) s?.uncork?.();
  }

  /**
   * QoS 1, JSON declared as such on MQTT 5; `done` runs at the PUBACK, or with the error that ended it;
   * `noSubscribers` is true when the PUBACK said no subscription matches (MQTT 5 only).
   */
  publish(
    topic: string,
    payload: string,
    retain: boolean,
    done: (err?: Error, noSubscribers?: boolean) => void,
  ): void {
    const o = PUBLISH_OPTIONS[this.v5 ? 1 : 0]?.[retain ? 1 : 0] as IClientPublishOptions;
    this.unacknowledged++;
    this.#writes++;
    this.client.publish(topic, payload, o, (err, packet) => {
      this.unacknowledged--;
      const writes = this.#writes;
      const id = packet && "messageId" in packet ? packet.messageId : undefined;
      // Consumed here, before MQTT.js frees the id for reuse.
      const unrouted = id !== undefined && this.#unrouted.delete(id);
      done(err, unrouted);
      this.onSettled?.();
      if (!err) this.#answerAck(writes);
    });
  }

  /**
   * After the PUBACKs of one read and whatever they made us publish (from the callback, or in the
   * drain's pass, queued ahead of this check; `writes` is the count before the first of them): when
   * they made us publish nothing and more PUBACKs are due, a PINGREQ now. Our publish is what carries
   * the TCP acknowledgement of the broker's segment; without one Linux delays it up to 40 ms, and
   * Mosquitto (Nagle on by default) holds its next PUBACKs until it comes: the last ones of every
   * replay waited that long (docs/decisions/uplink-drain.md). A PINGREQ is allowed at any time
   * (MQTT 3.1.1 and 5, §3.1.2.10); its PINGRESP only restarts MQTT.js's keepalive timer.
   */
  #answerAck(writes: number): void {
    if (this.#checking) return;
    this.#checking = true;
    queueMicrotask(() => {
      this.#checking = false;
      if (this.#writes !== writes || this.unacknowledged === 0 || this.down || !this.client.connected) return;
      this.client.sendPing();
    });
  }
}

/** What the rest of the uplink does when a connection comes up, goes down or brings a message. */
export interface LinkHooks {
  /** CONNACK received: `c` is the live connection. */
  up(c: Connection): void;
  /** `c` is going down, its socket not yet dropped. */
  closing(c: Connection): void;
  /** `c` is gone: it was up (`wasConnected`), or the attempt failed. */
  down(c: Connection, wasConnected: boolean, reason: string): void;
  message(c: Connection, topic: string, payload: Buffer): void;
  /** Publishes on `c` still awaiting their PUBACK, for the log line of a lost connection. */
  unacknowledged(c: Connection): number;
}

export interface ConnectorOptions {
  home: string;
  /** Tried in order; on failure the next one. */
  brokers: readonly BrokerConfig[];
  keepaliveMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  random?: (() => number) | undefined;
  clock: Clock;
  log: Logger;
  connect: ConnectFn;
  /** The next connection session number, one per attempt. */
  session: () => number;
  /** The retained offline status the broker publishes for us when the connection is lost. */
  willPayload: (session: number) => string;
  hooks: LinkHooks;
}

/**
 * The connection part of the uplink: the broker list, failover and back-off. One broker fails → the
 * next at once; a whole round fails → wait, longer each round (equal jitter, so that gateways that
 * lost the same broker do not return in step); a dropped connection → a new round from that broker.
 */
export class BrokerConnector {
  readonly #o: ConnectorOptions;
  #backoff: Backoff | undefined;
  #current: Connection | undefined;
  #stopped = false;
  #brokerIndex = 0;
  #triedInRound = 0;
  #attempts = 0;
  #lastError: string | undefined;
  #reconnectTimer: Timer | undefined;
  /** Broker URLs already warned about TLS settings on a plain scheme. */
  readonly #plainWarned = new Set<string>();

  constructor(o: ConnectorOptions) {
    this.#o = o;
  }

  /** The connection up or being tried, if any. */
  get current(): Connection | undefined {
    return this.#current;
  }

  /** Consecutive failed attempts; 0 once connected. */
  get attempts(): number {
    return this.#attempts;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  start(): void {
    this.#stopped = false;
    this.#backoff = new Backoff({
      initialMs: this.#o.backoffInitialMs,
      maxMs: this.#o.backoffMaxMs,
      jitter: "equal",
      ...(this.#o.random ? { random: this.#o.random } : {}),
    });
    this.#connect();
  }

  /** Stops trying; hands back the current connection (now detached) for a clean hang-up. */
  stop(): Connection | undefined {
    this.#stopped = true;
    this.#reconnectTimer?.cancel();
    this.#reconnectTimer = undefined;
    const c = this.#current;
    this.#current = undefined;
    return c;
  }

  /**
   * A clean DISCONNECT, so the broker discards the last will and a retained "stopped" status stands;
   * then the socket is dropped whatever happened.
   */
  async hangUp(c: Connection): Promise<void> {
    c.down = true;
    await boundedWait(new Promise<void>((resolve) => c.client.end(false, {}, () => resolve())));
    c.client.end(true);
    c.client.removeAllListeners();
    c.client.on("error", () => {});
  }

  #connect(): void {
    this.#reconnectTimer = undefined;
    if (this.#stopped) return;
    const broker = this.#o.brokers[this.#brokerIndex] as BrokerConfig;
    const url = safeUrl(broker.url);
    const log = this.#o.log;
    if (broker.tls && !/^(mqtts|ssl|tls):/.test(broker.url) && !this.#plainWarned.has(broker.url)) {
      // MQTT.js takes TLS from the scheme: certificates next to mqtt:// would silently go unused.
      this.#plainWarned.add(broker.url);
      log.warn({ broker: url }, `Broker '${url}' has TLS settings but a plain URL; use mqtts:// to encrypt`);
    }
    let client: MqttClient;
    const session = this.#o.session();
    try {
      const opts = clientOptions(broker, {
        home: this.#o.home,
        keepaliveMs: this.#o.keepaliveMs,
        willTopic: topicFor(this.#o.home, "status"),
        willPayload: this.#o.willPayload(session),
      });
      client = this.#o.connect(broker.url, opts);
    } catch (e) {
      // Unreadable TLS files or a bad URL: a failed attempt, like a refused connection.
      log.error({ broker: url, err: e }, `Cannot connect to broker '${url}'`);
      this.#lastError = errorMessage(e);
      this.#attempts++;
      this.#scheduleReconnect(false);
      return;
    }
    const c = new Connection(client, broker, url, session);
    this.#current = c;
    log.debug({ broker: url, attempt: this.#attempts + 1, session }, `Connecting to broker '${url}'`);
    client.on("connect", (connack: IConnackPacket) => this.#onConnect(c, connack));
    client.on("message", (topic: string, payload: Buffer) => this.#o.hooks.message(c, topic, payload));
    client.on("error", (err: Error) => {
      this.#lastError = err.message;
      c.error = err.message;
      log.warn({ broker: url, err }, `MQTT error from broker '${url}'`);
      if (!c.connected) this.#onDown(c, err.message);
    });
    client.on("close", () => this.#onDown(c, c.error ?? "connection closed"));
  }

  #onConnect(c: Connection, connack: IConnackPacket): void {
    if (c.down || this.#stopped) return;
    c.connected = true;
    c.receiveMaximum = connack.properties?.receiveMaximum;
    this.#attempts = 0;
    this.#triedInRound = 0;
    this.#backoff?.reset();
    this.#o.log.info(
      { broker: c.url, sessionPresent: connack.sessionPresent, session: c.session },
      `Connected to broker '${c.url}'`,
    );
    this.#o.hooks.up(c);
  }

  #onDown(c: Connection, reason: string): void {
    if (c.down) return;
    c.down = true;
    const wasConnected = c.connected;
    c.connected = false;
    this.#o.hooks.closing(c);
    c.client.removeAllListeners();
    // Late errors from a dead socket must not become unhandled 'error' events.
    c.client.on("error", () => {});
    c.client.end(true);
    if (this.#current === c) this.#current = undefined;
    if (wasConnected) {
      this.#o.log.warn(
        { broker: c.url, reason, unacknowledged: this.#o.hooks.unacknowledged(c) },
        `Lost connection to broker '${c.url}'`,
      );
    } else {
      this.#attempts++;
      this.#o.log.warn(
        { broker: c.url, reason, attempt: this.#attempts },
        `Failed to connect to broker '${c.url}' (attempt ${this.#attempts})`,
      );
    }
    this.#o.hooks.down(c, wasConnected, reason);
    if (!this.#stopped) this.#scheduleReconnect(wasConnected);
  }

  #scheduleReconnect(afterDrop: boolean): void {
    if (this.#stopped || this.#reconnectTimer) return;
    const backoff = this.#backoff as Backoff;
    const n = this.#o.brokers.length;
    let wait: number;
    if (afterDrop) {
      // Start a new round with the broker that just served us.
      this.#triedInRound = 0;
      wait = backoff.next();
    } else {
      this.#triedInRound++;
      this.#brokerIndex = (this.#brokerIndex + 1) % n;
      if (this.#triedInRound < n) wait = 0;
      else {
        this.#triedInRound = 0;
        wait = backoff.next();
      }
    }
    this.#o.log.debug(
      { waitMs: wait, next: safeUrl(this.#o.brokers[this.#brokerIndex]?.url ?? "") },
      "Reconnect",
    );
    this.#reconnectTimer = this.#o.clock.setTimeout(() => this.#connect(), wait);
  }
}

/** Waits for `p`, but never longer than STOP_WAIT_MS (real time: shutdown must end even on a stuck clock). */
export async function boundedWait(p: Promise<void>): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    t = setTimeout(resolve, STOP_WAIT_MS);
  });
  await Promise.race([p, timeout]);
  clearTimeout(t);
}
