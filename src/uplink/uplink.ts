import { EventEmitter } from "node:events";
import { ErrorCode, HearthError } from "../core/errors.js";
import { connectMqtt } from "../core/mqtt-connect.js";
import { BrokerConnector, boundedWait, type Connection } from "./connection.js";
import { Drain } from "./drain.js";
import type { StampContext } from "./envelopes.js";
import { CommandReplies } from "./replies.js";
import { SessionNumbers } from "./session.js";
import { StatusReporter } from "./status.js";
import type { UplinkEvents, UplinkOptions, UplinkState } from "./types.js";

/**
 * Publishes the outbox to the cloud over MQTT (3.1.1 or 5, TLS, mutual TLS), at least once: a row is
 * marked delivered only in its PUBACK callback, and anything unacknowledged at a disconnect is published
 * again (same envelope, same id) after the next connect. Answers commands; never lets one crash it.
 *
 * Three parts, wired here: the connection (connection.ts: broker list, failover, back-off), the drain
 * (drain.ts: outbox → publish, window, lanes, rate) and the status and replies (status.ts, replies.ts).
 */
export class Uplink extends EventEmitter<UplinkEvents> {
  readonly #o: UplinkOptions;
  readonly #connector: BrokerConnector;
  readonly #drain: Drain;
  readonly #status: StatusReporter;
  readonly #replies: CommandReplies;
  #started = false;
  #stopped = false;

  constructor(opts: UplinkOptions) {
    super();
    this.#o = opts;
    const stampCtx: StampContext = {
      home: opts.home,
      timeZone: opts.timeZone,
      clock: opts.clock,
      ids: opts.ids,
      lastSeq: () => opts.source.lastSeq(),
    };
    const current = () => this.#connector.current;
    const sessions = new SessionNumbers(opts.session, opts.log);
    this.#status = new StatusReporter({
      home: opts.home,
      version: opts.version,
      clock: opts.clock,
      heartbeatMs: opts.heartbeatMs,
      health: opts.health,
      replayDrained: (c) => this.#drain.replayDrained(c),
      laneSeqs: () => opts.source.laneSeqs(),
      watch: opts.watch,
      log: opts.log,
      stamp: stampCtx,
      current,
    });
    this.#replies = new CommandReplies({
      home: opts.home,
      onCommand: opts.onCommand,
      log: opts.log,
      stamp: stampCtx,
      current,
    });
    this.#drain = new Drain({
      home: opts.home,
      source: opts.source,
      clock: opts.clock,
      replayRate: opts.replayRate,
      log: opts.log,
      link: current,
      delivered: (count) => this.emit("delivered", count),
      acked: (seq, type) => this.emit("acked", seq, type),
    });
    this.#connector = new BrokerConnector({
      home: opts.home,
      brokers: opts.brokers,
      keepaliveMs: opts.keepaliveMs,
      backoffInitialMs: opts.backoffInitialMs,
      backoffMaxMs: opts.backoffMaxMs,
      random: opts.random,
      clock: opts.clock,
      log: opts.log,
      connect: opts.connect ?? connectMqtt,
      session: () => sessions.next(),
      willPayload: (session) => this.#status.will(session),
      hooks: {
        up: (c) => this.#up(c),
        closing: (c) => this.#drain.flushAcks(c),
        down: (_c, wasConnected, reason) => this.#down(wasConnected, reason),
        message: (c, topic, payload) => this.#replies.onMessage(c, topic, payload),
        unacknowledged: (c) => this.#drain.inFlight(c),
      },
    });
  }

  start(): void {
    if (this.#started) return;
    if (this.#o.brokers.length === 0)
      throw new HearthError("Uplink needs at least one broker", ErrorCode.ConfigInvalid, { brokers: 0 });
    this.#started = true;
    this.#stopped = false;
    this.#drain.start();
    this.#connector.start();
  }

  async stop(): Promise<void> {
    if (!this.#started || this.#stopped) return;
    this.#stopped = true;
    this.#drain.stop();
    this.#status.stopHeartbeat();
    const c = this.#connector.stop();
    if (c) {
      if (c.connected)
        await boundedWait(new Promise<void>((resolve) => this.#status.offline(c, "stopped", resolve)));
      this.#drain.flushAcks(c);
      await this.#connector.hangUp(c);
      if (c.connected) this.emit("disconnected", "stopped");
      c.connected = false;
    }
    this.#started = false;
  }

  /**
   * Publishes now what was committed since the last pass. Call it only where everything committed is
   * durable (after a durable group's end, not inside one); otherwise the pass runs by itself once the
   * writer's call returns.
   */
  drainNow(): void {
    if (this.#started && !this.#stopped) this.#drain.passNow();
  }

  state(): UplinkState {
    const c = this.#connector.current;
    const s: UplinkState = {
      connected: c?.connected ?? false,
      attempts: this.#connector.attempts,
      inFlight: c ? this.#drain.inFlight(c) : 0,
      published: this.#drain.published,
    };
    if (c) s.broker = c.url;
    const lastError = this.#connector.lastError;
    if (lastError !== undefined) s.lastError = lastError;
    return s;
  }

  /** The topic when a broker's last PUBACK for outbox `seq` said nobody subscribes to it (MQTT 5). */
  noSubscribers(seq: number): string | undefined {
    return this.#drain.noSubscribers(seq);
  }

  #up(c: Connection): void {
    // The status's or a reply's PUBACK frees a slot of the window too, and a publish in it at once
    // carries the TCP acknowledgement the broker may be holding its next PUBACKs for (Nagle).
    c.onSettled = () => this.#drain.schedule();
    this.#replies.subscribe(c);
    this.#status.online(c);
    this.#drain.begin(c);
    this.emit("connected", c.url);
    this.#drain.schedule();
  }

  #down(wasConnected: boolean, reason: string): void {
    if (this.#connector.current === undefined) this.#status.stopHeartbeat();
    if (wasConnected) this.emit("disconnected", reason);
  }
}
