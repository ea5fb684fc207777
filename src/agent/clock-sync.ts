import type { Clock, Timer } from "../core/clock.js";
import { SECOND_MS } from "../core/time.js";

/**
 * Notices the moment wall time becomes trusted (NTP synced on a Pi without an RTC) and says by how
 * much it moved, so that messages stamped before can be re-stamped. While unsynced it samples the
 * wall−monotonic offset; at sync the correction is the jump in that offset.
 */
export class ClockSyncWatcher {
  #timer: Timer | undefined;
  #unsyncedOffset: number | undefined;
  constructor(
    private readonly clock: Clock,
    private readonly onSync: (correct: (wallMs: number) => number, jumpMs: number) => void,
    private readonly everyMs = 5 * SECOND_MS,
  ) {}

  start(): void {
    this.check();
    this.#timer = this.clock.setInterval(() => this.check(), this.everyMs);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** One look at the clock (the interval calls it; tests may too). */
  check(): void {
    const offset = this.clock.wallMs() - this.clock.monotonicMs();
    if (!this.clock.wallSynced()) {
      this.#unsyncedOffset = offset;
      return;
    }
    if (this.#unsyncedOffset === undefined) return;
    const jump = offset - this.#unsyncedOffset;
    this.#unsyncedOffset = undefined;
    this.onSync((w) => w + jump, jump);
  }
}
