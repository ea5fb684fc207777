import { createHmac } from "node:crypto";
import type { Clock, Timer } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { Decision } from "./decisions.js";
import type { ReceiverStore, WebhookRow } from "./store/types.js";

export const SIGNATURE_HEADER = "x-hearth-signature";
export const IDEMPOTENCY_HEADER = "idempotency-key";

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the shared secret. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export interface WebhookOptions {
  url: string;
  secret: string | undefined;
  /** How often due deliveries are looked for (a new one is also tried at once). */
  pollMs: number;
  /** Back-off between attempts: initial, doubling, at most max. */
  retryInitialMs: number;
  retryMaxMs: number;
  /** One POST's time limit; also the lease another instance waits before taking the delivery over. */
  timeoutMs: number;
}

/**
 * Webhook deliveries from the store: each alert state change is a row (keyed by the message id, the
 * idempotency key), POSTed until the far end answers 2xx, retried with back-off. The rows are in the
 * store, so a restarted receiver (or another instance) goes on where this one stopped; a claim with a
 * lease keeps two instances from posting the same row at once.
 */
export class WebhookDelivery {
  readonly #o: WebhookOptions;
  readonly #store: ReceiverStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #decide: (d: Decision) => void;
  readonly #delivered: (row: WebhookRow) => Promise<void>;
  #timer: Timer | undefined;
  #running = false;
  #again = false;
  #stopped = false;

  constructor(
    o: WebhookOptions,
    deps: {
      store: ReceiverStore;
      clock: Clock;
      log: Logger;
      decide: (d: Decision) => void;
      delivered: (row: WebhookRow) => Promise<void>;
    },
  ) {
    this.#o = o;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#decide = deps.decide;
    this.#delivered = deps.delivered;
  }

  start(): void {
    this.#timer = this.#clock.setInterval(() => this.kick(), this.#o.pollMs);
    this.kick();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  /** Looks for due deliveries now (after a new one is queued). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    void this.#round()
      .catch((e: unknown) => this.#log.error({ err: e }, "Webhook round failed"))
      .finally(() => {
        this.#running = false;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  async #round(): Promise<void> {
    for (;;) {
      const now = this.#clock.wallMs();
      const due = await this.#store.dueWebhooks(now, 20);
      if (due.length === 0 || this.#stopped) return;
      await Promise.all(due.map((row) => this.#attempt(row, now)));
    }
  }

  async #attempt(row: WebhookRow, now: number): Promise<void> {
    if (!(await this.#store.claimWebhook(row.key, row.nextAt, now + this.#o.timeoutMs * 2))) return;
    const attempts = row.attempts + 1;
    let status = 0;
    let error: string | undefined;
    try {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        [IDEMPOTENCY_HEADER]: row.key,
        "x-hearth-attempt": String(attempts),
      };
      if (this.#o.secret !== undefined)
        headers[SIGNATURE_HEADER] = webhookSignature(this.#o.secret, row.body);
      const res = await fetch(this.#o.url, {
        method: "POST",
        headers,
        body: row.body,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (e) {
      error = errorMessage(e);
    }
    if (error === undefined) {
      await this.#store.webhookDelivered(row.key, this.#clock.wallMs());
      this.#decide({ decision: "webhook_delivered", key: row.key, alert: row.alert, attempts, status });
      await this.#delivered(row);
      return;
    }
    const wait = Math.min(this.#o.retryMaxMs, this.#o.retryInitialMs * 2 ** Math.min(attempts - 1, 30));
    await this.#store.webhookFailed(row.key, attempts, this.#clock.wallMs() + wait, error);
    this.#log.warn(
      { key: row.key, alert: row.alert, attempts, error, retryInMs: wait },
      "Webhook delivery failed",
    );
    this.#decide({
      decision: "webhook_failed",
      key: row.key,
      alert: row.alert,
      attempts,
      error,
      retry_in_ms: wait,
    });
  }
}
