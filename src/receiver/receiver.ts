import type { KeyObject } from "node:crypto";
import { hostname } from "node:os";
import { ENVELOPE_SCHEMAS, type Envelope, type MessageType } from "../contract/messages.js";
import { LANE_OF, type StoredType } from "../contract/stored.js";
import { TOPIC_ROOT } from "../contract/topics.js";
import type { Clock, Timer } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { OPEN_STATES, storeAlertState } from "./alert-intake.js";
import { CommandSender } from "./commands.js";
import type { ReceiverContext } from "./context.js";
import { type Decision, type DecisionSink, onCommissioning } from "./decisions.js";
import { GapFiller } from "./gaps.js";
import { ReceiverHttp } from "./http.js";
import { Liveness, sendWatch } from "./liveness.js";
import { MqttLink } from "./mqtt.js";
import { SeenPruner } from "./prune.js";
import type { AlertRow, ReceiverStore, WebhookRow } from "./store/types.js";
import { WebhookDelivery } from "./webhook.js";

export type AckMode = "auto" | "webhook" | "manual";

export interface ReceiverOptions {
  brokers: readonly string[];
  group: string;
  /** One instance with plain subscriptions (no `$share`): for a broker without shared subscriptions. */
  single?: boolean;
  /** 4 (MQTT 3.1.1) or 5 (default). */
  mqttVersion?: 4 | 5;
  ack: AckMode;
  webhook?: { url: string; secret: string | undefined } | undefined;
  /** HOST:PORT of the HTTP API (manual acks, watch levels); none when undefined. */
  http?: { host: string; port: number; token: string | undefined } | undefined;
  /** The provider's Ed25519 key; without one commands go unsigned. */
  key: KeyObject | undefined;
  /** Who an automatic ack says acknowledged (`ack.by`). */
  ackBy: string;
  commandTtlMs: number;
  heartbeatAllowanceMs: number;
  sweepMs: number;
  gapGraceMs: number;
  webhookPollMs: number;
  webhookRetryInitialMs: number;
  webhookRetryMaxMs: number;
  webhookTimeoutMs: number;
  reconnectMs: number;
  /** Message ids older than this are pruned from the store (default 30 days). */
  seenRetentionMs?: number;
}

const DAY_MS = 86_400_000;

/**
 * `hearth receiver`: the cloud end of contract v1. Takes every message of a group's shared
 * subscription, de-duplicates by `id` in the store the group shares, keeps alerts, gateways and lanes,
 * acknowledges per `--ack`, posts the webhook, and writes each decision as one JSON line.
 */
export class Receiver {
  readonly #o: ReceiverOptions;
  readonly #store: ReceiverStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #sink: DecisionSink;
  readonly #instance: string;
  readonly #link: MqttLink;
  readonly #ctx: ReceiverContext;
  readonly #gaps: GapFiller;
  readonly #liveness: Liveness;
  readonly #webhook: WebhookDelivery | undefined;
  readonly #http: ReceiverHttp | undefined;
  readonly #pruner: SeenPruner;
  #reackTimer: Timer | undefined;

  constructor(
    o: ReceiverOptions,
    deps: { store: ReceiverStore; clock: Clock; log: Logger; decisions: DecisionSink },
  ) {
    this.#o = o;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#sink = deps.decisions;
    this.#instance = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 6)}`;
    this.#link = new MqttLink({
      brokers: o.brokers,
      group: o.group,
      single: o.single ?? false,
      protocolVersion: o.mqttVersion ?? 5,
      log: deps.log.child({ module: "mqtt" }),
      reconnectMs: o.reconnectMs,
      onMessage: (topic, payload) => this.#onMessage(topic, payload),
    });
    this.#ctx = {
      store: deps.store,
      clock: deps.clock,
      log: deps.log,
      decide: (d) => this.#decide(d),
      commands: new CommandSender(
        (t, p) => this.#link.publish(t, p),
        o.key,
        o.commandTtlMs,
        () => deps.clock.wallMs(),
      ),
      alertChanged: (row, env) => this.#alertChanged(row, env),
    };
    this.#gaps = new GapFiller(this.#ctx, o.gapGraceMs);
    this.#liveness = new Liveness(
      this.#ctx,
      { heartbeatAllowanceMs: o.heartbeatAllowanceMs, sweepMs: o.sweepMs },
      this.#gaps,
    );
    this.#webhook = o.webhook
      ? new WebhookDelivery(
          {
            url: o.webhook.url,
            secret: o.webhook.secret,
            pollMs: o.webhookPollMs,
            retryInitialMs: o.webhookRetryInitialMs,
            retryMaxMs: o.webhookRetryMaxMs,
            timeoutMs: o.webhookTimeoutMs,
          },
          {
            store: deps.store,
            clock: deps.clock,
            log: deps.log.child({ module: "webhook" }),
            decide: (d) => this.#decide(d),
            delivered: (row) => this.#webhookDelivered(row),
          },
        )
      : undefined;
    this.#pruner = new SeenPruner(
      { retentionMs: o.seenRetentionMs ?? 30 * DAY_MS, everyMs: 3_600_000, batch: 5000 },
      { store: deps.store, clock: deps.clock, log: deps.log.child({ module: "prune" }) },
    );
    this.#http = o.http
      ? new ReceiverHttp(o.http, {
          store: deps.store,
          log: deps.log.child({ module: "http" }),
          now: () => deps.clock.wallMs(),
          ack: (alert, by, note) => this.acknowledge(alert, by, note, "manual"),
          watch: (home, level, until) => this.setWatch(home, level, until),
        })
      : undefined;
  }

  /** The HTTP API's address once started (its port when started on 0). */
  get httpAddress(): { host: string; port: number } | undefined {
    return this.#http?.address;
  }

  get instance(): string {
    return this.#instance;
  }

  async start(): Promise<void> {
    await this.#store.migrate();
    await this.#http?.start();
    await this.#link.start();
    this.#liveness.start();
    this.#webhook?.start();
    this.#pruner.start();
    this.#reackTimer = this.#clock.setInterval(() => void this.reackExpired(), this.#o.sweepMs);
    this.#log.info({ group: this.#o.group, ack: this.#o.ack, instance: this.#instance }, "Receiver started");
  }

  async stop(): Promise<void> {
    this.#webhook?.stop();
    this.#liveness.stop();
    this.#reackTimer?.cancel();
    await this.#pruner.stop();
    await this.#http?.stop();
    await this.#link.stop();
  }

  /** Checks the silent gateways now (tests; the timer does it every `sweepMs`). */
  sweep(): Promise<void> {
    return this.#liveness.sweep();
  }

  /**
   * Sends the `ack` of an open alert, once across instances (the store records who sent it).
   * Resolves false when the alert is unknown, closed or already acknowledged. A kind this receiver
   * does not know is acknowledged too: `ack.kind` takes any well-formed kind (docs/contract.md), and
   * the gateway that raised it knows it.
   */
  async acknowledge(alertId: string, by: string, note: string | undefined, via: AckMode): Promise<boolean> {
    const a = await this.#store.getAlert(alertId);
    if (!a || !OPEN_STATES.has(a.state)) return false;
    if (!(await this.#store.markAckSent(a.alert, by, note, this.#clock.wallMs()))) return false;
    let commandId: string | undefined;
    if (a.origin === "gateway") {
      commandId = await this.#ctx.commands.send(a.home, "ack", {
        alert: a.alert,
        kind: a.kind,
        by,
        ...(note ? { note } : {}),
      });
    } else {
      // A receiver-side alert (a gateway gone offline) is closed here: there is no gateway to tell.
      await this.#alertChanged(
        { ...a, state: "acknowledged", messageId: `${a.messageId}-ack`, updatedAt: this.#clock.wallMs() },
        undefined,
      );
    }
    this.#decide({
      decision: "acknowledged",
      home: a.home,
      alert: a.alert,
      kind: a.kind,
      by,
      via,
      ...(commandId ? { command_id: commandId } : {}),
    });
    return true;
  }

  /**
   * The gateway republishes an open alert after every reconnect. If its ack was sent longer ago than a
   * command lives, that ack expired unused (the gateway was away): send it again, with a new id.
   */
  async #ackAgain(alertId: string): Promise<void> {
    const now = this.#clock.wallMs();
    const a = await this.#store.getAlert(alertId);
    if (!a || a.ackSentAt === undefined || !OPEN_STATES.has(a.state)) return;
    if (!(await this.#store.markAckResent(alertId, now - this.#o.commandTtlMs, now))) return;
    const by = a.ackBy ?? this.#o.ackBy;
    const commandId = await this.#ctx.commands.send(a.home, "ack", {
      alert: a.alert,
      kind: a.kind,
      by,
      ...(a.ackNote ? { note: a.ackNote } : {}),
    });
    this.#log.info(
      { home: a.home, alert: a.alert, commandId },
      "Alert still open at its gateway: ack sent again",
    );
  }

  /**
   * Open alerts of online gateways whose ack expired without the gateway taking it: the instance that
   * recorded it as sent died before it reached the broker (tests/receiver/kill.test.ts), or the broker
   * lost it. Sent again (#ackAgain: once across instances); the timer does this every `sweepMs`.
   */
  async reackExpired(): Promise<void> {
    const expired = this.#clock.wallMs() - this.#o.commandTtlMs;
    try {
      for (const a of await this.#store.openAlerts()) {
        if (a.origin !== "gateway" || a.ackSentAt === undefined || a.ackSentAt >= expired) continue;
        if ((await this.#store.getGateway(a.home))?.state === "online") await this.#ackAgain(a.alert);
      }
    } catch (e) {
      this.#log.warn({ err: e }, "Looking for expired acks failed; tried again at the next sweep");
    }
  }

  /** Records a home's desired watch level and sends it now (and again whenever the gateway returns). */
  async setWatch(home: string, level: string, until: string | undefined): Promise<void> {
    await this.#store.setDesiredWatch(home, level, until);
    const g = await this.#store.getGateway(home);
    if (g?.state === "online") await sendWatch(this.#ctx, home, level, until, "set");
  }

  #decide(d: Decision): void {
    this.#sink({ ...d, at: new Date(this.#clock.wallMs()).toISOString(), instance: this.#instance });
  }

  async #onMessage(topic: string, payload: Buffer): Promise<void> {
    const parts = topic.split("/");
    const type = parts[3] as MessageType;
    if (
      parts.length !== 4 ||
      `${parts[0]}/${parts[1]}` !== TOPIC_ROOT ||
      !Object.hasOwn(ENVELOPE_SCHEMAS, type)
    )
      return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString("utf8"));
    } catch (e) {
      this.#log.warn({ topic, error: errorMessage(e) }, "Message is not JSON: dropped");
      return;
    }
    const r = ENVELOPE_SCHEMAS[type].safeParse(parsed);
    if (!r.success || r.data.home !== parts[2]) {
      this.#log.warn({ topic, issues: r.error?.issues.slice(0, 5) }, "Message breaks contract v1: dropped");
      return;
    }
    const env = r.data as unknown as Envelope;
    if (env.type === "status") return this.#liveness.onStatus(env as Envelope<"status">);
    if (env.type === "telemetry") return; // not kept by this slice; never a gap.
    // Everything below is idempotent and the id is marked seen last: a receiver killed half-way through
    // a message handles it in full when it comes again, instead of calling it a duplicate. Its lane_seq
    // is recorded after its effects too: killed before, the number is missing and gap filling asks for
    // it; recorded first, a message lost with the killed instance would look received.
    if (env.type === "alert") await this.#onAlert(env as Envelope<"alert">);
    else if (env.type === "summary") {
      const body = (env as Envelope<"summary">).body;
      await this.#store.putSummary({
        home: env.home,
        date: body.date,
        seq: env.seq,
        messageId: env.id,
        body: body as unknown as Record<string, unknown>,
        receivedAt: this.#clock.wallMs(),
      });
    } else if (env.type === "event") {
      const d = await onCommissioning(env as Envelope<"event">, this.#store, this.#clock.wallMs());
      if (d) this.#decide(d);
    } else if (env.type === "reply") this.#log.info({ home: env.home, reply: env.body }, "Command reply");
    const lane =
      env.lane_seq !== undefined && env.type !== "reply" ? LANE_OF[env.type as StoredType] : undefined;
    if (lane && env.lane_seq !== undefined)
      await this.#store.recordLane(env.home, lane, env.lane_seq, env.seq);
    const fresh = await this.#store.markSeen({
      id: env.id,
      home: env.home,
      type: env.type,
      seq: env.seq,
      laneSeq: env.lane_seq,
      receivedAt: this.#clock.wallMs(),
    });
    if (!fresh) {
      this.#decide({ decision: "duplicate", home: env.home, id: env.id, type: env.type });
      if (env.type === "alert") await this.#ackAgain((env as Envelope<"alert">).body.alert);
      return;
    }
    if (lane) await this.#gaps.onLaneSeq(env.home);
  }

  async #onAlert(env: Envelope<"alert">): Promise<void> {
    const b = env.body;
    const row: AlertRow = {
      alert: b.alert,
      home: env.home,
      kind: b.kind,
      state: b.state,
      device: b.device,
      since: b.since,
      evidence: b.evidence,
      origin: "gateway",
      messageId: env.id,
      updatedAt: this.#clock.wallMs(),
    };
    await this.#alertChanged(row, env);
    if (this.#o.ack === "auto" && OPEN_STATES.has(b.state))
      await this.acknowledge(b.alert, this.#o.ackBy, undefined, "auto");
  }

  #alertChanged(row: AlertRow, env: unknown): Promise<boolean> {
    return storeAlertState(
      {
        store: this.#store,
        decide: (d) => this.#decide(d),
        webhook: this.#webhook,
        ackAfterWebhook: this.#o.ack === "webhook",
        wallMs: () => this.#clock.wallMs(),
      },
      row,
      env,
    );
  }

  async #webhookDelivered(row: WebhookRow): Promise<void> {
    if (row.ackAfter) await this.acknowledge(row.alert, this.#o.ackBy, undefined, "webhook");
  }
}
