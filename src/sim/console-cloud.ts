import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import mqtt, { type MqttClient } from "mqtt";
import { type Envelope, envelope } from "../contract/messages.js";
import { TOPIC_ROOT } from "../contract/topics.js";
import { HOUR_MS, SECOND_MS } from "../core/time.js";
import { HourlyTelemetry } from "./telemetry-summary.js";

export interface ConsoleCloudOptions {
  url: string;
  home: string;
  /**
   * `hourly`: one line per device per hour of the readings' time (HourlyTelemetry), so alerts and
   * events are not buried; `each` (default): every reading on its own line.
   */
  telemetry?: "each" | "hourly";
  /** 4 (MQTT 3.1.1, default: the embedded broker's) or 5. */
  protocolVersion?: 4 | 5;
  write?: (line: string) => void;
}

export interface ConsoleCloudEvents {
  message: [env: Envelope];
  invalid: [topic: string, problem: string];
}

/** Seconds as hours to one decimal, as the console prints a silence. */
export function hours(seconds: number): string {
  return ((seconds * SECOND_MS) / HOUR_MS).toFixed(1);
}

/** One readable line for a message, alert kind and state verbatim. */
export function describeEnvelope(env: Envelope): string {
  const time = env.ts.slice(11, 16);
  switch (env.type) {
    case "alert": {
      const b = env.body as Envelope<"alert">["body"];
      const ev = b.evidence;
      const extra: string[] = [];
      if (typeof ev.silence_s === "number") extra.push(`silence=${hours(ev.silence_s)}h`);
      if (typeof ev.threshold_s === "number") extra.push(`threshold=${hours(ev.threshold_s)}h`);
      const last = ev.last_activity as { source?: string; at?: string } | null | undefined;
      if (last?.source) extra.push(`last=${last.source}@${last.at?.slice(11, 16) ?? "?"}`);
      if (b.by) extra.push(`by=${b.by}`);
      if (b.cause) extra.push(`cause=${b.cause}`);
      return `${time} alert ${b.kind} ${b.state}${b.device ? ` device=${b.device}` : ""} alert=${b.alert}${extra.length ? ` ${extra.join(" ")}` : ""}`;
    }
    case "event": {
      const b = env.body as Envelope<"event">["body"];
      const data = Object.entries(b.data)
        .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
        .join(" ");
      return `${time} event ${b.event}${b.device ? ` device=${b.device}` : ""}${data ? ` ${data}` : ""}`;
    }
    case "telemetry": {
      const b = env.body as Envelope<"telemetry">["body"];
      const vals = b.values
        .map((v) => `${v.channel}=${Number(v.value.toFixed(3))}${v.unit ? v.unit : ""}`)
        .join(" ");
      return `${time} telemetry ${b.device} ${vals}`;
    }
    case "summary": {
      const b = env.body as Envelope<"summary">["body"];
      return `${time} summary ${b.date} active_hours=${b.active_hours} first=${b.first_activity?.slice(11, 16) ?? "-"} last=${b.last_activity?.slice(11, 16) ?? "-"} alerts=${b.alerts.length}`;
    }
    case "status": {
      const b = env.body as Envelope<"status">["body"];
      // Heartbeats republish the online status of the same session: the session tells them from a reconnect.
      return `status ${b.state} version=${b.version} session=${b.session}${b.reason ? ` reason=${JSON.stringify(b.reason)}` : ""}`;
    }
    case "reply": {
      const b = env.body as Envelope<"reply">["body"];
      return `reply ${b.command} ${b.status}${b.status === "error" ? ` ${b.error.code}: ${b.error.message}` : ""}`;
    }
    default:
      return `${time} ${String((env as { type: string }).type)}`;
  }
}

/**
 * What stands out in the console: alerts and events are marked (plain text), the rest is indented
 * to line up under them.
 */
const MARK: Partial<Record<Envelope["type"], string>> = {
  alert: "*** ALERT  ",
  event: "--> event  ",
  telemetry: "      ",
  summary: "==> ",
};

/**
 * The demo's window on the wire: subscribes to one home over MQTT, validates and prints every message
 * on one line. It only watches; the receiver beside it stores and acknowledges the alerts.
 */
export class ConsoleCloud extends EventEmitter<ConsoleCloudEvents> {
  #client: MqttClient | undefined;
  readonly received: Envelope[] = [];
  readonly #o: ConsoleCloudOptions;
  readonly #hourly = new HourlyTelemetry();

  constructor(o: ConsoleCloudOptions) {
    super();
    this.#o = o;
  }

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.#o.url, {
      clientId: `console-cloud-${randomUUID().slice(0, 8)}`,
      protocolVersion: this.#o.protocolVersion ?? 4,
      reconnectPeriod: 1000,
    });
    this.#client = client;
    client.on("message", (topic, payload) => this.#onMessage(topic, payload));
    await client.subscribeAsync(`${TOPIC_ROOT}/${this.#o.home}/+`, { qos: 1 });
  }

  async stop(): Promise<void> {
    if (this.#o.telemetry === "hourly") for (const l of this.#hourly.flush()) this.#write(l);
    await this.#client?.endAsync();
  }

  #write(line: string): void {
    if (this.#o.write) this.#o.write(line);
    else process.stdout.write(`${line}\n`);
  }

  #onMessage(topic: string, payload: Buffer): void {
    const write = (l: string): void => this.#write(l);
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString("utf8"));
    } catch {
      this.emit("invalid", topic, "not JSON");
      write(`INVALID ${topic}: not JSON`);
      return;
    }
    const r = envelope.safeParse(parsed);
    if (!r.success || !topic.endsWith(`/${r.data.type}`)) {
      const problem = r.success
        ? `type ${r.data.type} on topic ${topic}`
        : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      this.emit("invalid", topic, problem);
      write(`INVALID ${topic}: ${problem}`);
      return;
    }
    const env = r.data as Envelope;
    this.received.push(env);
    if (env.type === "telemetry" && this.#o.telemetry === "hourly") {
      const line = this.#hourly.add((env as Envelope<"telemetry">).body);
      if (line !== undefined) write(line);
    } else write(`${MARK[env.type] ?? ""}${describeEnvelope(env)}`);
    this.emit("message", env);
  }
}
