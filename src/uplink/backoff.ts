/**
 * Exponential back-off with "equal jitter": round n waits between half and all of
 * min(max, initial · 2ⁿ), so that gateways that lost the same broker do not return in step.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #round = 0;

  constructor(initialMs: number, maxMs: number, random: () => number = Math.random) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#random = random;
  }

  /** The next wait, in ms; each call doubles the base up to the maximum. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#round);
    if (base < this.#maxMs) this.#round++;
    return Math.round(base / 2 + (this.#random() * base) / 2);
  }

  reset(): void {
    this.#round = 0;
  }
}
