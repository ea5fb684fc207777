import type { Logger } from "../core/log.js";

/** Who hears that something new was committed (the uplink's drain); one that throws is logged, never fatal. */
export class WriteListeners {
  readonly #listeners = new Set<() => void>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Returns the unsubscribe function. */
  add(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  notify(): void {
    for (const l of this.#listeners) {
      try {
        l();
      } catch (e) {
        this.#log.error({ err: e }, "Outbox write listener threw");
      }
    }
  }
}
