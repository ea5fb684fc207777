import type { Clock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/log.js";
import { MINUTE_MS } from "../../src/core/time.js";

/**
 * Logs a device's complaint at warn once a minute per device and reason, at debug in between: a
 * chatty or broken device cannot flood the journal, and the first of each kind is never missed.
 */
export class WarnLimiter {
  readonly #last = new Map<string, number>();
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(clock: Clock, log: Logger) {
    this.#clock = clock;
    this.#log = log;
  }

  warn(device: string, reason: string, msg: string, extra: Record<string, unknown>): void {
    const key = `${device}/${reason}`;
    const now = this.#clock.monotonicMs();
    const last = this.#last.get(key);
    const level = last === undefined || now - last >= MINUTE_MS ? "warn" : "debug";
    if (level === "warn") this.#last.set(key, now);
    this.#log[level]({ device, reason, ...extra }, msg);
  }
}
