/**
 * dbus-next queues calls on a bus that is not (or no longer) connected and never settles them, so every
 * health check of the BlueZ scanner is bounded: it fails on the bus's error event or after a timeout.
 */
import type { Clock } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError } from "../../src/core/errors.js";

export class CallGuard {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  /** Fails the running call when the bus reports an error. */
  #busFailed: ((err: unknown) => void) | undefined;

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** The bus reported an error: the call under way (if any) fails with PortClosed. */
  busFailed(err: unknown): void {
    this.#busFailed?.(err);
  }

  /** `work`, or Timeout after the time allowed, or PortClosed when the bus fails meanwhile. */
  run<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#busFailed = undefined;
        reject(new HearthError(`BlueZ did not answer within ${this.#timeoutMs} ms`, ErrorCode.Timeout));
      }, this.#timeoutMs);
      this.#busFailed = (err) => {
        timer.cancel();
        this.#busFailed = undefined;
        reject(new HearthError(`system D-Bus connection failed: ${errorMessage(err)}`, ErrorCode.PortClosed));
      };
      work.then(
        (v) => {
          timer.cancel();
          this.#busFailed = undefined;
          resolve(v);
        },
        (e: unknown) => {
          timer.cancel();
          this.#busFailed = undefined;
          reject(e);
        },
      );
    });
  }
}
