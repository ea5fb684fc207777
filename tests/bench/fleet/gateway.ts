import type { KeyObject } from "node:crypto";
import { randomUUID } from "node:crypto";
import { connect, type MqttClient } from "mqtt";
import { verifyCommand } from "../../../src/contract/command-signing.js";
import { buildEnvelope } from "../../../src/contract/envelope.js";
import type { AlertKind, BodyOf, Envelope, MessageType, StatusBody } from "../../../src/contract/messages.js";
import { LANE_OF, type LaneSeqs, type StoredType, takeLaneSeq } from "../../../src/contract/stored.js";
import { commandFilter, commandName, topicFor } from "../../../src/contract/topics.js";

/** How often a simulated gateway does what a real one does (wall milliseconds). */
export interface GatewayPlan {
  telemetryMs: number;
  heartbeatMs: number;
  /** Mean time between alerts of one gateway (exponential). */
  alertMeanMs: number;
  /** Mean time between events (button presses, device online/offline). */
  eventMeanMs: number;
  /** An alert not acknowledged this long after it was last sent is sent again (same id). */
  republishMs: number;
}

/** What a gateway tells its driver; the driver counts and times. */
export interface GatewayObserver {
  published(type: MessageType): void;
  /** The broker took a publish (PUBACK). */
  brokerAcked(): void;
  /** A new alert was raised: `key` is its message id, the webhook's Idempotency-Key. */
  alertRaised(key: string, atMs: number): void;
  /** A signed `ack` arrived for an open alert `ms` after the alert was first published. */
  acked(ms: number): void;
  /** A command refused (bad signature, expired, unknown alert): never expected from the receiver. */
  refused(reason: string): void;
  republished(): void;
}

interface OpenAlert {
  env: Envelope<"alert">;
  firstSentMs: number;
  lastSentMs: number;
}

/** Wall time in ms with sub-ms resolution, comparable across the fleet's processes on one machine. */
export const nowMs = (): number => performance.timeOrigin + performance.now();
const iso = (ms: number) => new Date(ms).toISOString();
const expo = (meanMs: number) => -Math.log(1 - Math.random()) * meanMs;

const KINDS: readonly AlertKind[] = ["call", "inactivity", "battery_low", "device_offline", "leak", "fall"];
/** Alert and event envelopes kept to answer `resend`, as the outbox's retention does. */
const RETAINED = 256;

/**
 * One simulated gateway speaking contract v1 as the agent does: a session per connection, the retained
 * online status with the offline status of the same session as its last will, heartbeats, telemetry,
 * alerts and events with `seq` and `lane_seq`, signed commands checked with the provider's public key.
 * Open alerts are sent again until acknowledged; on an ack it answers a reply and publishes the alert's
 * `acknowledged` state, as the agent does. Driven by `tick(now)` from one scheduler per process.
 */
export class SimGateway {
  readonly home: string;
  session = 0;
  #seq = 0;
  readonly #lanes: LaneSeqs = { alert: 0, event: 0, telemetry: 0 };
  #client: MqttClient | undefined;
  #up = false;
  /** Down on purpose (killed) until this time; undefined when not killed. */
  #reviveAt: number | undefined;
  readonly #open = new Map<string, OpenAlert>();
  readonly #kept = new Map<number, Envelope>();
  #next = { telemetry: 0, heartbeat: 0, alert: 0, event: 0 };
  #startedMs = nowMs();
  #meter = Math.random() * 100;
  #quiet = false;

  constructor(
    home: string,
    private readonly url: string,
    private readonly plan: GatewayPlan,
    private readonly key: KeyObject,
    private readonly obs: GatewayObserver,
  ) {
    this.home = home;
  }

  get up(): boolean {
    return this.#up;
  }

  get openAlerts(): number {
    return this.#open.size;
  }

  /** Connects with a new session; resolves once subscribed and the online status is sent. */
  connect(): Promise<void> {
    this.session += 1;
    const session = this.session;
    const will = this.#envelope("status", this.#status("offline", session, "connection lost"));
    const client = connect(this.url, {
      protocolVersion: 5,
      clientId: `gw-${this.home}`,
      reconnectPeriod: 0,
      keepalive: 60,
      connectTimeout: 30_000,
      will: {
        topic: topicFor(this.home, "status"),
        payload: Buffer.from(JSON.stringify(will)),
        qos: 1,
        retain: true,
      },
    });
    this.#client = client;
    client.on("message", (topic, payload) => this.#onCommand(topic, payload));
    client.on("error", () => {});
    client.on("close", () => {
      if (this.#client !== client) return;
      this.#up = false;
      // Lost without being killed (broker overload): come back as the agent does, after a pause.
      if (this.#reviveAt === undefined) this.#reviveAt = nowMs() + 5_000;
    });
    return new Promise<void>((resolve, reject) => {
      client.once("error", reject);
      client.once("connect", () => {
        client.subscribe(commandFilter(this.home), { qos: 1 }, (err) => {
          if (err) {
            reject(err);
            return;
          }
          this.#up = true;
          this.#reviveAt = undefined;
          const now = nowMs();
          this.#publish(this.#envelope("status", this.#status("online", session)), true);
          for (const a of this.#open.values()) this.#resend(a, now);
          this.#schedule(now);
          resolve();
        });
      });
    });
  }

  /** Drops the TCP connection without DISCONNECT, as a power cut does: the broker publishes the will. */
  kill(downMs: number): void {
    this.#reviveAt = nowMs() + downMs;
    this.#up = false;
    this.#client?.stream.destroy();
    this.#client?.end(true);
  }

  /** Stops raising anything new; still answers commands (so the last alerts can be acknowledged). */
  quiet(): void {
    this.#quiet = true;
  }

  close(): Promise<void> {
    this.#reviveAt = Number.POSITIVE_INFINITY;
    this.#up = false;
    return this.#client ? this.#client.endAsync(true) : Promise.resolve();
  }

  /** Does what is due at `now`; true when it started coming back (a new connection). */
  tick(now: number): boolean {
    if (!this.#up) {
      if (this.#reviveAt !== undefined && now >= this.#reviveAt) {
        this.#reviveAt = Number.POSITIVE_INFINITY; // one attempt at a time
        this.connect().catch(() => {
          this.#reviveAt = nowMs() + 5_000;
        });
        return true;
      }
      return false;
    }
    const n = this.#next;
    if (now >= n.heartbeat) {
      n.heartbeat = now + this.plan.heartbeatMs;
      this.#publish(this.#envelope("status", this.#status("online", this.session)), true);
    }
    if (this.#quiet) return false;
    if (now >= n.telemetry) {
      n.telemetry += this.plan.telemetryMs;
      if (n.telemetry < now) n.telemetry = now + this.plan.telemetryMs;
      this.#telemetry(now);
    }
    if (now >= n.alert) {
      n.alert = now + expo(this.plan.alertMeanMs);
      this.raise(now);
    }
    if (now >= n.event) {
      n.event = now + expo(this.plan.eventMeanMs);
      this.#store("event", { event: "button", device: "button-1", data: { press: "single" } }, now);
    }
    for (const a of this.#open.values())
      if (now - a.lastSentMs >= this.plan.republishMs) {
        this.#resend(a, now);
        this.obs.republished();
      }
    return false;
  }

  /** Starts every rate afresh from `now` (the window's start: nothing left due from the connect phase). */
  rephase(now: number): void {
    this.#schedule(now);
  }

  #schedule(now: number): void {
    // Random phases, so a fleet started together does not publish in lockstep.
    this.#next = {
      telemetry: now + Math.random() * this.plan.telemetryMs,
      heartbeat: now + this.plan.heartbeatMs * (0.5 + Math.random() * 0.5),
      alert: now + expo(this.plan.alertMeanMs),
      event: now + expo(this.plan.eventMeanMs),
    };
  }

  #telemetry(now: number): void {
    this.#meter += Math.random() * 0.01;
    this.#store(
      "telemetry",
      {
        device: "meter-1",
        at: iso(now),
        values: [
          { channel: "water_total", value: Math.round(this.#meter * 1000) / 1000, unit: "m3" },
          { channel: "power", value: Math.round(Math.random() * 2000), unit: "W" },
        ],
      },
      now,
    );
  }

  /** Raises an alert now (the scheduler does, at random; a test calls it directly). */
  raise(now: number): void {
    const alert = randomUUID();
    const kind = KINDS[Math.floor(Math.random() * KINDS.length)] as AlertKind;
    const env = this.#store(
      "alert",
      { alert, kind, state: "raised", device: "button-1", since: iso(now), evidence: { simulated: true } },
      now,
    );
    this.#open.set(alert, { env, firstSentMs: now, lastSentMs: now });
    this.obs.alertRaised(env.id, now);
  }

  #resend(a: OpenAlert, now: number): void {
    a.lastSentMs = now;
    this.#publish(a.env, false);
  }

  #store<T extends StoredType>(type: T, body: BodyOf[T], now: number): Envelope<T> {
    const laneSeq = takeLaneSeq(this.#lanes, LANE_OF[type]);
    this.#seq += 1;
    const env = buildEnvelope(type, body, {
      id: randomUUID(),
      home: this.home,
      seq: this.#seq,
      laneSeq,
      ts: iso(now),
      synced: true,
    });
    if (type !== "telemetry") {
      this.#kept.set(env.seq, env);
      if (this.#kept.size > RETAINED) this.#kept.delete(this.#kept.keys().next().value as number);
    }
    this.#publish(env, false);
    return env;
  }

  #envelope<T extends "status" | "reply">(type: T, body: BodyOf[T]): Envelope<T> {
    return buildEnvelope(type, body, {
      id: randomUUID(),
      home: this.home,
      seq: this.#seq,
      ts: iso(nowMs()),
      synced: true,
    });
  }

  #status(state: "online" | "offline", session: number, reason?: string): StatusBody {
    if (state === "offline") return { state, version: "0.1.0-fleet", session, reason: reason ?? "stopped" };
    return {
      state,
      version: "0.1.0-fleet",
      session,
      watch: "normal",
      health: {
        uptime_s: Math.round((nowMs() - this.#startedMs) / 1000),
        rss_mb: 58,
        outbox: { alert: this.#open.size, event: 0, telemetry: 0 },
        devices: { "button-1": "online", "meter-1": "online" },
        open_alerts: this.#open.size,
        clock: "synced",
        replay_drained: true,
        lane_seq: { ...this.#lanes },
        security: { commands: "signed", insecure_buttons: [] },
        storage: { state: "ok", free_mb: 900, memory_lane: 0, shed_telemetry: 0 },
      },
    };
  }

  #publish(env: Envelope, retain: boolean): void {
    const c = this.#client;
    if (!c || !this.#up) return;
    this.obs.published(env.type);
    c.publish(topicFor(this.home, env.type), JSON.stringify(env), { qos: 1, retain }, (err) => {
      if (!err) this.obs.brokerAcked();
    });
  }

  #onCommand(topic: string, payload: Buffer): void {
    const name = commandName(this.home, topic);
    let cmd: Record<string, unknown>;
    try {
      cmd = JSON.parse(payload.toString("utf8")) as Record<string, unknown>;
    } catch {
      this.obs.refused("not JSON");
      return;
    }
    const id = typeof cmd.id === "string" ? cmd.id : "?";
    const refuse = (code: string) => {
      this.obs.refused(code);
      this.#reply({ command_id: id, command: name ?? "?", status: "error", error: { code, message: code } });
    };
    if (!name || !verifyCommand(topic, cmd, [this.key])) {
      refuse("bad_signature");
      return;
    }
    if (typeof cmd.expires !== "string" || Date.parse(cmd.expires) < Date.now()) {
      refuse("expired");
      return;
    }
    const body = (cmd.body ?? {}) as Record<string, unknown>;
    if (name === "ack") {
      const open = this.#open.get(String(body.alert));
      if (!open || open.env.body.kind !== body.kind) {
        refuse(open ? "kind_mismatch" : "unknown_alert");
        return;
      }
      this.#open.delete(String(body.alert));
      const now = nowMs();
      this.obs.acked(now - open.firstSentMs);
      this.#reply({ command_id: id, command: name, status: "ok", data: {} });
      const { alert, kind, device, since } = open.env.body;
      this.#store(
        "alert",
        {
          alert,
          kind,
          state: "acknowledged",
          ...(device ? { device } : {}),
          ...(since ? { since } : {}),
          cause: "cloud",
          by: typeof body.by === "string" ? body.by : "cloud",
          evidence: {},
        },
        now,
      );
      return;
    }
    if (name === "resend") {
      const from = Number(body.from_seq);
      const to = body.to_seq === undefined ? Number.POSITIVE_INFINITY : Number(body.to_seq);
      for (const [seq, env] of this.#kept) if (seq >= from && seq <= to) this.#publish(env, false);
    }
    this.#reply({ command_id: id, command: name, status: "ok", data: {} });
  }

  #reply(body: BodyOf["reply"]): void {
    this.#publish(this.#envelope("reply", body), false);
  }
}
