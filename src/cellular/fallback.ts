import type { AlertBody, Envelope } from "../contract/messages.js";
import type { StoredMessage } from "../contract/stored.js";
import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock, Timer } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/log.js";

/** The evidence key an alert's SMS record goes under. */
export const SMS_EVIDENCE = "sms";
/** Attempts for numbers whose SMS failed (modem gone, no network): one every `afterMs`. */
export const SMS_ATTEMPTS = 5;

/** What was sent for one alert: kept in its evidence, so it survives a restart and reaches the cloud. */
export interface SmsRecord {
  /** Numbers sent to, and when (ISO with the home's offset). */
  sent: { to: string; at: string }[];
  /** Numbers not reached (yet), with the last error. */
  failed: { to: string; at: string; error: string }[];
}

export interface SmsFallbackOptions {
  numbers: readonly string[];
  /** A call or fall not acknowledged by the broker this long after it was raised goes by SMS. */
  afterMs: number;
  /** Real time (the network's clock, even in the demo). */
  clock: Clock;
  timeZone: string;
  send: (to: string, text: string) => Promise<string>;
  text: (alert: AlertBody) => string;
  /** Whether the installer's commissioning mode is on now: a press then sends no SMS. */
  commissioning: () => boolean;
  /** Adds the record to the queued alert message `seq`; false when it has left the queue meanwhile. */
  annotate: (seq: number, record: SmsRecord) => boolean;
  /** The record of an alert delivered while its SMS was on its way (an event instead). */
  late: (alert: AlertBody, record: SmsRecord) => void;
  log: Logger;
}

/** One raised call or fall waiting for the broker's acknowledgement. */
interface Waiting {
  alert: AlertBody;
  seq: number;
  timer: Timer | undefined;
  record: SmsRecord;
  attempts: number;
  delivered: boolean;
}

/**
 * The second path for a person who needs help: a `call` or `fall` whose `raised` message the broker has
 * not acknowledged (PUBACK) within `afterMs` goes as an SMS to the configured numbers, once per alert
 * and number. Never for `test` alerts, nor for presses while the installer commissions the home. What
 * was sent is added to the queued alert's evidence, so it goes out with the alert when the link is back.
 */
export class SmsFallback {
  readonly #o: SmsFallbackOptions;
  /** Alerts waiting or being sent for, by the seq of their `raised` message. */
  readonly #waiting = new Map<number, Waiting>();
  #stopped = false;

  constructor(o: SmsFallbackOptions) {
    this.#o = o;
  }

  /** An alert message was written to the outbox (the agent's sink hands every one in). */
  written(env: Envelope<"alert">): void {
    const b = env.body;
    if (this.#stopped || b.state !== "raised" || (b.kind !== "call" && b.kind !== "fall")) return;
    if (b.kind === "call" && this.#o.commissioning()) {
      this.#o.log.info({ alert: b.alert }, "Call during commissioning: no SMS fallback for it");
      return;
    }
    this.#watch(b, env.seq, this.#o.afterMs);
  }

  /** The broker acknowledged these outbox seqs. */
  delivered(seqs: readonly number[]): void {
    for (const s of seqs) {
      const w = this.#waiting.get(s);
      if (!w) continue;
      w.delivered = true;
      w.timer?.cancel();
      this.#waiting.delete(s);
    }
  }

  /**
   * After a restart: the open alerts' latest messages. A call or fall whose only message is its
   * undelivered `raised`, without an SMS record, waits for the rest of its time (from `since`).
   */
  restore(open: readonly StoredMessage[]): void {
    for (const m of open) {
      if (m.delivered || m.type !== "alert") continue;
      const b = m.envelope.body as AlertBody;
      if (b.state !== "raised" || (b.kind !== "call" && b.kind !== "fall")) continue;
      if (b.evidence[SMS_EVIDENCE] !== undefined || (b.kind === "call" && this.#o.commissioning())) continue;
      const since = b.since !== undefined ? Date.parse(b.since) : Number.NaN;
      const waited = Number.isNaN(since) ? 0 : Math.max(0, this.#o.clock.wallMs() - since);
      this.#watch(b, m.seq, Math.max(0, this.#o.afterMs - waited));
    }
  }

  /** Alerts waiting (for status): their ids. */
  waiting(): string[] {
    return [...this.#waiting.values()].map((w) => w.alert.alert);
  }

  stop(): void {
    this.#stopped = true;
    for (const w of this.#waiting.values()) w.timer?.cancel();
    this.#waiting.clear();
  }

  #watch(alert: AlertBody, seq: number, delayMs: number): void {
    if (this.#waiting.has(seq)) return;
    const w: Waiting = {
      alert,
      seq,
      timer: undefined,
      record: { sent: [], failed: [] },
      attempts: 0,
      delivered: false,
    };
    this.#waiting.set(seq, w);
    w.timer = this.#o.clock.setTimeout(() => void this.#fire(w), delayMs);
  }

  /** Runs from a timer: nothing it does may escape as an unhandled rejection. */
  async #fire(w: Waiting): Promise<void> {
    try {
      await this.#attempt(w);
    } catch (e) {
      this.#waiting.delete(w.seq);
      this.#o.log.error({ err: e, alert: w.alert.alert }, "SMS fallback failed");
    }
  }

  async #attempt(w: Waiting): Promise<void> {
    w.timer = undefined;
    if (this.#stopped || w.delivered) return;
    w.attempts++;
    const { log, numbers, clock, timeZone } = this.#o;
    const text = this.#o.text(w.alert);
    const failed: SmsRecord["failed"] = [];
    for (const to of numbers) {
      if (w.record.sent.some((s) => s.to === to)) continue;
      const at = isoWithOffset(clock.wallMs(), timeZone);
      try {
        await this.#o.send(to, text);
        w.record.sent.push({ to, at });
        log.warn(
          { alert: w.alert.alert, kind: w.alert.kind, to },
          `SMS fallback sent to ${to} for ${w.alert.kind}`,
        );
      } catch (e) {
        failed.push({ to, at, error: errorMessage(e) });
        log.error({ err: e, alert: w.alert.alert, to, attempt: w.attempts }, `SMS fallback to ${to} failed`);
      }
    }
    w.record.failed = failed;
    const record: SmsRecord = { sent: [...w.record.sent], failed: [...failed] };
    // Still queued: the record goes out inside the alert; already gone: beside it, as an event.
    const annotated = !w.delivered && this.#o.annotate(w.seq, record);
    if (!annotated) this.#o.late(w.alert, record);
    if (failed.length > 0 && w.attempts < SMS_ATTEMPTS && !w.delivered && !this.#stopped)
      w.timer = clock.setTimeout(() => void this.#fire(w), this.#o.afterMs);
    else this.#waiting.delete(w.seq);
  }
}
