import type { ServerResponse } from "node:http";
import type { Logger } from "../core/log.js";
import { SECURITY_HEADERS } from "./console-assets.js";
import type { AlertRow, GatewayRow, ReceiverStore } from "./store/types.js";

/** One change the console is told about (the page reloads what it shows on any of them). */
export type ConsoleEvent =
  | { type: "alert_stored"; home: string; alert: string; kind: string; state: string; fresh: boolean }
  | { type: "alert_acked"; home: string; alert: string; by: string | undefined }
  | { type: "alert_closed"; home: string; alert: string }
  | { type: "gateway_online" | "gateway_offline"; home: string }
  | { type: "watch"; home: string; watch: string | undefined; desired: string | undefined };

interface AlertSeen {
  home: string;
  state: string;
  acked: boolean;
}

/**
 * The console's server-sent events (`GET /api/events`). Driven by polling the store the group shares
 * (every `pollMs`, only while a page is connected), not by this instance's own decisions: with several
 * receivers in a group each takes a share of the messages, and a console on any of them shows all.
 */
export class ConsoleEvents {
  readonly #store: ReceiverStore;
  readonly #log: Logger;
  readonly #pollMs: number;
  readonly #clients = new Set<ServerResponse>();
  #alerts: Map<string, AlertSeen> | undefined;
  #homes: Map<string, GatewayRow> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** +1 each time polling stops, so that a poll still running then does not start a second loop. */
  #generation = 0;
  #polls = 0;

  constructor(store: ReceiverStore, log: Logger, pollMs: number) {
    this.#store = store;
    this.#log = log;
    this.#pollMs = pollMs;
  }

  attach(res: ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    // `: ready` says the stream has its picture of the store: changes from then on are sent.
    res.write(`retry: 2000\n: connected\n\n${this.#alerts ? ": ready\n\n" : ""}`);
    this.#clients.add(res);
    res.on("close", () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0) this.#halt();
    });
    if (!this.#timer) this.#schedule(0, this.#generation);
  }

  stop(): void {
    this.#halt();
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }

  #halt(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#generation++;
    // The next page starts from a fresh picture, not from one taken before it connected.
    this.#alerts = undefined;
    this.#homes = undefined;
  }

  #schedule(ms: number, generation: number): void {
    this.#timer = setTimeout(() => {
      this.poll()
        .catch((e: unknown) => this.#log.warn({ err: e }, "Console events: store poll failed"))
        .finally(() => {
          if (generation === this.#generation) this.#schedule(this.#pollMs, generation);
        });
    }, ms);
  }

  /** Compares the store with the last picture and sends what changed (the first poll only takes one). */
  async poll(): Promise<void> {
    const [alerts, homes] = await Promise.all([this.#store.openAlerts(), this.#store.listGateways()]);
    const first = this.#alerts === undefined;
    const events = [...this.#alertChanges(alerts), ...this.#homeChanges(homes)];
    if (first) this.#send(": ready\n\n");
    for (const e of events) this.#send(`event: change\ndata: ${JSON.stringify(e)}\n\n`);
    // A comment now and then keeps proxies from closing an idle stream.
    if (events.length === 0 && ++this.#polls % 15 === 0) this.#send(": idle\n\n");
  }

  #send(text: string): void {
    for (const c of this.#clients) c.write(text);
  }

  #alertChanges(rows: AlertRow[]): ConsoleEvent[] {
    const before = this.#alerts;
    const now = new Map(
      rows.map((r) => [r.alert, { home: r.home, state: r.state, acked: r.ackSentAt !== undefined }]),
    );
    this.#alerts = now;
    if (!before) return [];
    const out: ConsoleEvent[] = [];
    for (const r of rows) {
      const was = before.get(r.alert);
      const seen = now.get(r.alert) as AlertSeen;
      if (!was || was.state !== r.state)
        out.push({
          type: "alert_stored",
          home: r.home,
          alert: r.alert,
          kind: r.kind,
          state: r.state,
          fresh: !was,
        });
      if (seen.acked && !was?.acked)
        out.push({ type: "alert_acked", home: r.home, alert: r.alert, by: r.ackBy });
    }
    for (const [alert, was] of before)
      if (!now.has(alert)) out.push({ type: "alert_closed", home: was.home, alert });
    return out;
  }

  #homeChanges(rows: GatewayRow[]): ConsoleEvent[] {
    const before = this.#homes;
    this.#homes = new Map(rows.map((r) => [r.home, r]));
    if (!before) return [];
    const out: ConsoleEvent[] = [];
    for (const r of rows) {
      const was = before.get(r.home);
      if (was?.state !== r.state) out.push({ type: `gateway_${r.state}`, home: r.home });
      if (was && (was.watch !== r.watch || was.desiredWatch !== r.desiredWatch))
        out.push({ type: "watch", home: r.home, watch: r.watch, desired: r.desiredWatch });
    }
    return out;
  }
}
