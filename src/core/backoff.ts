/**
 * The one exponential back-off: the uplink between brokers, a serial line reopening its port, the
 * BlueZ scanner waiting for an adapter. Wait n is min(max, initial · factorⁿ), spread by jitter so
 * that gateways (or lines) that failed together do not all return in step.
 */

import { ErrorCode, HearthError } from "./errors.js";

/**
 * - `"equal"`: between half and all of the base, rounded to whole ms (for peers that must not
 *   return together, such as gateways that lost the same broker);
 * - a fraction `f`: the base times a factor in [1 − f, 1 + f];
 * - `"none"`: exactly the base.
 */
export type Jitter = "equal" | "none" | number;

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** Default `"equal"`. */
  jitter?: Jitter;
  /** Source of randomness in [0, 1); injected so tests can fix it. */
  random?: () => number;
  /** Monotonic time, for `nextAt`; injected so a virtual clock drives it. */
  clock?: { monotonicMs(): number };
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: Jitter;
  readonly #random: () => number;
  readonly #clock: { monotonicMs(): number } | undefined;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? "equal";
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock;
  }

  /** Waits handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The next wait, in ms; each call grows the base up to the maximum. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#attempt);
    this.#attempt++;
    const j = this.#jitter;
    if (j === "none") return base;
    if (j === "equal") return Math.round(base / 2 + (this.#random() * base) / 2);
    return Math.max(0, base * (1 + j * (2 * this.#random() - 1)));
  }

  /** The monotonic time at which the next attempt is due (needs `clock`). */
  nextAt(): number {
    if (!this.#clock) throw new HearthError("Backoff.nextAt needs a clock", ErrorCode.Internal);
    const wait = this.next();
    return this.#clock.monotonicMs() + wait;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
