import type { Clock } from "../core/clock.js";
import { SECOND_MS } from "../core/time.js";

/**
 * A token bucket on the injected monotonic clock: at most `perSecond` takes per second on average,
 * with bursts of a tenth of a second's worth (at least one). Infinity never refuses.
 */
export class RateLimiter {
  readonly #clock: Clock;
  readonly #perSecond: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  constructor(clock: Clock, perSecond: number) {
    this.#clock = clock;
    this.#perSecond = perSecond;
    this.#burst = Number.isFinite(perSecond)
      ? Math.max(1, Math.ceil(perSecond / 10))
      : Number.POSITIVE_INFINITY;
    this.#tokens = this.#burst;
    this.#at = clock.monotonicMs();
  }

  tryTake(): boolean {
    if (!Number.isFinite(this.#perSecond)) return true;
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** How long until the next take can succeed, in ms (0 when it can now). */
  waitMs(): number {
    if (!Number.isFinite(this.#perSecond)) return 0;
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * SECOND_MS) / this.#perSecond);
  }

  #refill(): void {
    const now = this.#clock.monotonicMs();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) * this.#perSecond) / SECOND_MS);
    this.#at = now;
  }
}
