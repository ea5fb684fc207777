import { EventEmitter } from "node:events";
import { connect, type IClientPublishOptions, type IConnackPacket, type MqttClient } from "mqtt";
import type { BrokerConfig } from "../config/schema.js";
import type { ReplyBody, StatusBody } from "../contract/messages.js";
import type { StoredMessage } from "../contract/stored.js";
import { commandFilter, commandName, topicFor } from "../contract/topics.js";
import type { Timer } from "../core/clock.js";
import { errorMessage, isHearthError } from "../core/errors.js";
import { Backoff } from "./backoff.js";
import { clientOptions, safeUrl } from "./connect-options.js";
import { commandIdOf, type StampContext, stamp } from "./envelopes.js";
import { RateLimiter } from "./rate.js";
import type { UplinkEvents, UplinkOptions, UplinkState } from "./types.js";

/** Most outbox messages awaiting PUBACK at once (lowered to the broker's receive maximum, MQTT 5). */
export const MAX_IN_FLIGHT = 32;
/** How long `stop()` waits for the offline status and the disconnect before it drops the socket. */
const STOP_WAIT_MS = 3000;

/** One MQTT connection (or attempt). Its state dies with it; the outbox keeps what matters. */
interface Connection {
  client: MqttClient;
  broker: BrokerConfig;
  url: string;
  v5: boolean;
  connected: boolean;
  down: boolean;
  /** The last error on this connection, the reason given when it closes. */
  error?: string;
  maxInFlight: number;
  /** seqs awaiting PUBACK on this connection. */
  inFlight: Set<number>;
  /** seqs published on this connection and not yet marked delivered (in flight, acked, or refused). */
  sent: Set<number>;
  /** Delivered open alerts to publish again before the pending drain. */
  priority: StoredMessage[];
}

/**
 * Publishes the outbox to the cloud over MQTT (3.1.1 or 5, TLS, mutual TLS), at least once: a row is
 * marked delivered only in its PUBACK callback, and anything unacknowledged at a disconnect is published
 * again (same envelope, same id) after the next connect. Answers commands; never lets one crash it.
 */
export class Uplink extends EventEmitter<UplinkEvents> {
  readonly #o: UplinkOptions;
  readonly #stampCtx: StampContext;
  #backoff: Backoff | undefined;
  #rate: RateLimiter | undefined;
  #conn: Connection | undefined;
  #started = false;
  #stopped = false;
  #brokerIndex = 0;
  #triedInRound = 0;
  #attempts = 0;
  #lastError: string | undefined;
  #published = 0;
  #acked: number[] = [];
  #offWrite: (() => void) | undefined;
  #reconnectTimer: Timer | undefined;
  #heartbeat: Timer | undefined;
  #rateTimer: Timer | undefined;
  #pumpImmediate: NodeJS.Immediate | undefined;
  /** Broker URLs already warned about TLS settings on a plain scheme. */
  readonly #plainWarned = new Set<string>();

  constructor(opts: UplinkOptions) {
    super();
    this.#o = opts;
    this.#stampCtx = {
      home: opts.home,
      timeZone: opts.timeZone,
      clock: opts.clock,
      ids: opts.ids,
      lastSeq: () => opts.source.lastSeq(),
    };
  }

  start(): void {
    if (this.#started) return;
    if (this.#o.brokers.length === 0) throw new TypeError("Uplink needs at least one broker");
    this.#started = true;
    this.#stopped = false;
    this.#backoff = new Backoff(this.#o.backoffInitialMs, this.#o.backoffMaxMs, this.#o.random);
    this.#rate = new RateLimiter(this.#o.clock, this.#o.replayRate);
    this.#offWrite = this.#o.source.onWrite(() => this.#schedulePump());
    this.#connect();
  }

  async stop(): Promise<void> {
    if (!this.#started || this.#stopped) return;
    this.#stopped = true;
    this.#offWrite?.();
    this.#offWrite = undefined;
    this.#reconnectTimer?.cancel();
    this.#reconnectTimer = undefined;
    this.#heartbeat?.cancel();
    this.#heartbeat = undefined;
    this.#rateTimer?.cancel();
    this.#rateTimer = undefined;
    if (this.#pumpImmediate) clearImmediate(this.#pumpImmediate);
    this.#pumpImmediate = undefined;
    const c = this.#conn;
    this.#conn = undefined;
    if (c) {
      if (c.connected) {
        await this.#bounded(
          new Promise<void>((resolve) => {
            this.#publishStatus(c, { state: "offline", version: this.#o.version, reason: "stopped" }, () =>
              resolve(),
            );
          }),
        );
      }
      this.#flushAcks(c);
      c.down = true;
      // A clean DISCONNECT: the broker discards the last will, the retained "stopped" status stands.
      await this.#bounded(new Promise<void>((resolve) => c.client.end(false, {}, () => resolve())));
      c.client.end(true);
      c.client.removeAllListeners();
      c.client.on("error", () => {});
      if (c.connected) this.emit("disconnected", "stopped");
      c.connected = false;
    }
    this.#started = false;
  }

  state(): UplinkState {
    const c = this.#conn;
    const s: UplinkState = {
      connected: c?.connected ?? false,
      attempts: this.#attempts,
      inFlight: c?.inFlight.size ?? 0,
      published: this.#published,
    };
    if (c) s.broker = c.url;
    if (this.#lastError !== undefined) s.lastError = this.#lastError;
    return s;
  }

  // ---- connection ----

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
    try {
      const will = stamp(this.#stampCtx, "status", {
        state: "offline",
        version: this.#o.version,
        reason: "connection lost",
      });
      const opts = clientOptions(broker, {
        home: this.#o.home,
        keepaliveMs: this.#o.keepaliveMs,
        willTopic: topicFor(this.#o.home, "status"),
        willPayload: JSON.stringify(will),
      });
      client = connect(broker.url, opts);
    } catch (e) {
      // Unreadable TLS files or a bad URL: a failed attempt, like a refused connection.
      log.error({ broker: url, err: e }, `Cannot connect to broker '${url}'`);
      this.#lastError = errorMessage(e);
      this.#attempts++;
      this.#scheduleReconnect(false);
      return;
    }
    const c: Connection = {
      client,
      broker,
      url,
      v5: broker.mqtt_version === "5",
      connected: false,
      down: false,
      maxInFlight: MAX_IN_FLIGHT,
      inFlight: new Set(),
      sent: new Set(),
      priority: [],
    };
    this.#conn = c;
    log.debug({ broker: url, attempt: this.#attempts + 1 }, `Connecting to broker '${url}'`);
    client.on("connect", (connack: IConnackPacket) => this.#onConnect(c, connack));
    client.on("message", (topic: string, payload: Buffer) => this.#onMessage(c, topic, payload));
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
    const receiveMax = connack.properties?.receiveMaximum;
    if (receiveMax !== undefined && receiveMax > 0) c.maxInFlight = Math.min(MAX_IN_FLIGHT, receiveMax);
    this.#attempts = 0;
    this.#triedInRound = 0;
    this.#backoff?.reset();
    this.#o.log.info(
      { broker: c.url, sessionPresent: connack.sessionPresent },
      `Connected to broker '${c.url}'`,
    );
    c.client.subscribe(commandFilter(this.#o.home), { qos: 1 }, (err) => {
      if (err) this.#o.log.error({ broker: c.url, err }, "Failed to subscribe to commands");
    });
    this.#publishStatus(c, this.#online());
    this.#heartbeat?.cancel();
    this.#heartbeat = this.#o.clock.setInterval(() => {
      if (this.#conn === c && c.connected) this.#publishStatus(c, this.#online());
    }, this.#o.heartbeatMs);
    // Open alerts the cloud already has are published again (same id) until closed; undelivered ones come
    // first in the pending drain anyway, in seq order.
    try {
      c.priority = this.#o.source.openAlerts().filter((m) => m.delivered);
    } catch (e) {
      this.#o.log.error({ err: e }, "Failed to read open alerts from the outbox");
    }
    this.emit("connected", c.url);
    this.#schedulePump();
  }

  #onDown(c: Connection, reason: string): void {
    if (c.down) return;
    c.down = true;
    const wasConnected = c.connected;
    c.connected = false;
    this.#flushAcks(c);
    c.client.removeAllListeners();
    // Late errors from a dead socket must not become unhandled 'error' events.
    c.client.on("error", () => {});
    c.client.end(true);
    if (this.#conn === c) this.#conn = undefined;
    if (this.#conn === undefined) {
      this.#heartbeat?.cancel();
      this.#heartbeat = undefined;
    }
    if (wasConnected) {
      this.#o.log.warn(
        { broker: c.url, reason, unacknowledged: c.inFlight.size },
        `Lost connection to broker '${c.url}'`,
      );
      this.emit("disconnected", reason);
    } else {
      this.#attempts++;
      this.#o.log.warn(
        { broker: c.url, reason, attempt: this.#attempts },
        `Failed to connect to broker '${c.url}' (attempt ${this.#attempts})`,
      );
    }
    if (!this.#stopped) this.#scheduleReconnect(wasConnected);
  }

  /** One broker fails → the next at once; a whole round fails → wait, longer each round. */
  #scheduleReconnect(afterDrop: boolean): void {
    if (this.#stopped || this.#reconnectTimer) return;
    const n = this.#o.brokers.length;
    let wait: number;
    if (afterDrop) {
      // Start a new round with the broker that just served us.
      this.#triedInRound = 0;
      wait = (this.#backoff as Backoff).next();
    } else {
      this.#triedInRound++;
      this.#brokerIndex = (this.#brokerIndex + 1) % n;
      if (this.#triedInRound < n) wait = 0;
      else {
        this.#triedInRound = 0;
        wait = (this.#backoff as Backoff).next();
      }
    }
    this.#o.log.debug(
      { waitMs: wait, next: safeUrl(this.#o.brokers[this.#brokerIndex]?.url ?? "") },
      "Reconnect",
    );
    this.#reconnectTimer = this.#o.clock.setTimeout(() => this.#connect(), wait);
  }

  // ---- outbox drain ----

  #schedulePump(): void {
    if (this.#pumpImmediate || this.#stopped) return;
    this.#pumpImmediate = setImmediate(() => {
      this.#pumpImmediate = undefined;
      this.#pump();
    });
  }

  #pump(): void {
    const c = this.#conn;
    if (c) this.#flushAcks(c);
    if (!c?.connected || this.#stopped || this.#rateTimer) return;
    const rate = this.#rate as RateLimiter;
    try {
      let window: StoredMessage[] | undefined;
      while (c.inFlight.size < c.maxInFlight) {
        let msg = c.priority[0];
        if (msg) {
          if (c.sent.has(msg.seq)) {
            c.priority.shift();
            continue;
          }
        } else {
          if (!window || window.length === 0) {
            const free = c.maxInFlight - c.inFlight.size;
            window = this.#o.source.pending(c.sent.size + free).filter((m) => !c.sent.has(m.seq));
            if (window.length === 0) return;
          }
          msg = window[0] as StoredMessage;
        }
        if (!rate.tryTake()) {
          this.#rateTimer = this.#o.clock.setTimeout(() => {
            this.#rateTimer = undefined;
            this.#pump();
          }, rate.waitMs());
          return;
        }
        if (c.priority[0] === msg) c.priority.shift();
        else window?.shift();
        this.#publishStored(c, msg);
      }
    } catch (e) {
      // The outbox failed under us (closed during shutdown, I/O error): try again on the next write.
      this.#o.log.error({ err: e, closed: isHearthError(e) }, "Outbox read failed during drain");
    }
  }

  #publishStored(c: Connection, m: StoredMessage): void {
    c.inFlight.add(m.seq);
    c.sent.add(m.seq);
    const topic = topicFor(this.#o.home, m.type);
    c.client.publish(topic, JSON.stringify(m.envelope), this.#publishOptions(c, false), (err) => {
      c.inFlight.delete(m.seq);
      if (err) {
        // Not acknowledged (connection closing, or an MQTT 5 refusal): it stays undelivered and goes out
        // again after the next connect; `sent` keeps it from looping on this one.
        if (!c.down)
          this.#o.log.warn(
            { broker: c.url, seq: m.seq, err },
            `Broker '${c.url}' did not accept seq ${m.seq}`,
          );
        this.#schedulePump();
        return;
      }
      this.#published++;
      this.#acked.push(m.seq);
      this.#schedulePump();
    });
  }

  /** Marks acknowledged rows delivered in one outbox transaction per batch. */
  #flushAcks(c: Connection | undefined): void {
    if (this.#acked.length === 0) return;
    const seqs = this.#acked;
    this.#acked = [];
    try {
      this.#o.source.markDelivered(seqs);
    } catch (e) {
      // They will be published again: a duplicate with the same id, never a loss.
      this.#o.log.error({ err: e, count: seqs.length }, "Failed to mark messages delivered");
      return;
    }
    if (c) for (const s of seqs) c.sent.delete(s);
    this.emit("delivered", seqs.length);
  }

  // ---- status, commands ----

  #online(): StatusBody {
    let watch: StatusBody["watch"];
    try {
      watch = this.#o.watch?.();
    } catch (e) {
      this.#o.log.warn({ err: e }, "Watch level unknown; status goes without it");
    }
    return { state: "online", version: this.#o.version, ...(watch ? { watch } : {}), health: this.#health() };
  }

  #health(): StatusBody["health"] {
    try {
      return this.#o.health();
    } catch (e) {
      this.#o.log.warn({ err: e }, "Health report failed; status goes without it");
      return undefined;
    }
  }

  #publishStatus(c: Connection, body: StatusBody, done?: () => void): void {
    let payload: string;
    try {
      payload = JSON.stringify(stamp(this.#stampCtx, "status", body));
    } catch (e) {
      this.#o.log.error({ err: e }, "Status message breaks the contract; sending it without health");
      const { health: _dropped, ...bare } = body;
      payload = JSON.stringify(stamp(this.#stampCtx, "status", bare));
    }
    c.client.publish(topicFor(this.#o.home, "status"), payload, this.#publishOptions(c, true), (err) => {
      if (err && !c.down) this.#o.log.warn({ broker: c.url, err }, "Status not acknowledged");
      done?.();
    });
  }

  #onMessage(c: Connection, topic: string, payload: Buffer): void {
    const name = commandName(this.#o.home, topic);
    if (name === undefined) {
      this.#o.log.debug({ topic }, "Ignoring a message outside the command topics");
      return;
    }
    void this.#command(c, name, payload);
  }

  async #command(c: Connection, name: string, payload: Buffer): Promise<void> {
    let reply: ReplyBody | undefined;
    try {
      reply = await this.#o.onCommand(name, payload);
    } catch (e) {
      this.#o.log.warn({ command: name, err: e }, `Command '${name}' failed`);
      reply = {
        command_id: commandIdOf(payload),
        command: name,
        status: "error",
        error: { code: "failed", message: errorMessage(e) },
      };
    }
    if (!reply) return;
    let envelope: string;
    try {
      envelope = JSON.stringify(stamp(this.#stampCtx, "reply", reply));
    } catch (e) {
      this.#o.log.error(
        { command: name, err: e },
        `Reply to '${name}' breaks the contract; answering an error`,
      );
      envelope = JSON.stringify(
        stamp(this.#stampCtx, "reply", {
          command_id: commandIdOf(payload),
          command: name,
          status: "error",
          error: { code: "internal", message: "the reply broke the message contract" },
        }),
      );
    }
    const target = this.#conn?.connected ? this.#conn : c;
    if (!target.connected) {
      this.#o.log.warn({ command: name }, `Reply to '${name}' dropped: not connected`);
      return;
    }
    target.client.publish(
      topicFor(this.#o.home, "reply"),
      envelope,
      this.#publishOptions(target, false),
      (err) => {
        if (err && !target.down)
          this.#o.log.warn({ command: name, err }, `Reply to '${name}' not acknowledged`);
      },
    );
  }

  #publishOptions(c: Connection, retain: boolean): IClientPublishOptions {
    const o: IClientPublishOptions = { qos: 1, retain };
    if (c.v5) o.properties = { contentType: "application/json", payloadFormatIndicator: true };
    return o;
  }

  /** Waits for `p`, but never longer than STOP_WAIT_MS (real time: shutdown must end even on a stuck clock). */
  async #bounded(p: Promise<void>): Promise<void> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      t = setTimeout(resolve, STOP_WAIT_MS);
    });
    await Promise.race([p, timeout]);
    clearTimeout(t);
  }
}
