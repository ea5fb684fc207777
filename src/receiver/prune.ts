import type { Clock, Timer } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import type { ReceiverStore } from "./store/types.js";

export interface SeenPrunerOptions {
  /** Message ids older than this are forgotten (`seen_retention`). */
  retentionMs: number;
  /** How often to prune. */
  everyMs: number;
  /** Rows per DELETE: short statements, so incoming messages are not held up behind one long one. */
  batch: number;
}

/**
 * Keeps `messages_seen` from growing for ever: every `everyMs`, deletes the ids received longer ago
 * than the retention, a batch at a time. Every instance of a group runs it; the delete is idempotent,
 * so two instances pruning at once only share the work.
 */
export class SeenPruner {
  readonly #o: SeenPrunerOptions;
  readonly #deps: { store: ReceiverStore; clock: Clock; log: Logger };
  #timer: Timer | undefined;
  #running: Promise<number> | undefined;
  #stopped = false;

  constructor(o: SeenPrunerOptions, deps: { store: ReceiverStore; clock: Clock; log: Logger }) {
    this.#o = o;
    this.#deps = deps;
  }

  start(): void {
    this.#stopped = false;
    this.#timer = this.#deps.clock.setInterval(() => void this.#tick(), this.#o.everyMs);
    void this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running?.catch(() => 0);
  }

  /** Prunes now, batch after batch until none is full; resolves with the rows deleted. */
  async prune(): Promise<number> {
    const before = this.#deps.clock.wallMs() - this.#o.retentionMs;
    let total = 0;
    for (;;) {
      const n = await this.#deps.store.pruneSeen(before, this.#o.batch);
      total += n;
      if (n < this.#o.batch || this.#stopped) break;
      // Lets messages waiting on the event loop through between two batches.
      await new Promise((r) => setImmediate(r));
    }
    if (total > 0)
      this.#deps.log.info({ deleted: total, before: new Date(before).toISOString() }, "Pruned messages_seen");
    return total;
  }

  async #tick(): Promise<void> {
    if (this.#running || this.#stopped) return;
    this.#running = this.prune();
    try {
      await this.#running;
    } catch (e) {
      // A failed prune is tried again at the next tick; the table only grows meanwhile.
      this.#deps.log.warn({ err: e }, "Pruning messages_seen failed; tried again later");
    } finally {
      this.#running = undefined;
    }
  }
}
