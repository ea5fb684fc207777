import type { Logger } from "../core/log.js";

/** Where the session number lives between runs: the agent hands in the outbox's kv table. */
export interface SessionStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export const SESSION_KEY = "uplink.session";

/**
 * A port that takes the next connection session number from `store` and keeps it there, so the number
 * never goes back across restarts. Throws when the store does (the uplink then goes on from memory).
 */
export function persistedSessions(store: SessionStore): () => number {
  return () => {
    const last = Number(store.get(SESSION_KEY) ?? 0);
    const next = (Number.isSafeInteger(last) && last > 0 ? last : 0) + 1;
    store.set(SESSION_KEY, String(next));
    return next;
  };
}

/**
 * The connection session numbers of one uplink: +1 per connection attempt, never below the last one
 * handed out. The port (persistedSessions) carries it across restarts; when the port fails (storage
 * broken) the number still moves on from memory, and only a restart in that state could repeat one.
 */
export class SessionNumbers {
  readonly #port: (() => number) | undefined;
  readonly #log: Logger;
  #last = 0;

  constructor(port: (() => number) | undefined, log: Logger) {
    this.#port = port;
    this.#log = log;
  }

  next(): number {
    let n = this.#last + 1;
    if (this.#port) {
      try {
        n = Math.max(n, this.#port());
      } catch (e) {
        this.#log.warn(
          { err: e, session: n },
          "Cannot persist the connection session number; going on from memory",
        );
      }
    }
    this.#last = n;
    return n;
  }
}
