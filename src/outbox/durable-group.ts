import { randomUUID } from "node:crypto";
import type { OutboxDb } from "./db.js";
import { SET_META } from "./schema.js";

/**
 * What belongs together is made durable together: while a group runs, the durable writes (alerts,
 * events, kv values such as a BLE counter) are committed without an fsync of their own, and when the
 * outermost group ends one durable commit makes them all durable (in WAL mode an fsync of the log
 * covers every frame before it). A press thus pays one fsync for its counter, its alert and its event,
 * and nothing is published before that fsync: the uplink runs only after the synchronous group ends.
 * Groups nest; only the outermost one ends with the fsync.
 */
export class DurableGroup {
  #depth = 0;
  #deferred = false;

  get active(): boolean {
    return this.#depth > 0;
  }

  /** A commit inside the group was made without its own fsync: the group's end owes one. */
  deferred(): void {
    this.#deferred = true;
  }

  /**
   * Runs `fn` as a group; `barrier` makes the deferred commits durable (it must not throw: a failure
   * there is the storage guard's to report, the rows are committed).
   */
  run<T>(fn: () => T, barrier: () => void): T {
    this.#depth++;
    try {
      return fn();
    } finally {
      this.#depth--;
      if (this.#depth === 0 && this.#deferred) {
        this.#deferred = false;
        barrier();
      }
    }
  }
}

/**
 * The group's end: a durable write fsyncs the log, and with it the group's frames before it. The
 * value written changes every time: SQLite writes nothing (and syncs nothing) for a row rewritten
 * with the same content. A failure is reported (`failed`); the rows stay committed and go out.
 */
export function fsyncBarrier(db: OutboxDb, failed: (e: unknown) => void): () => void {
  const run = randomUUID();
  let n = 0;
  return () => {
    if (!db.isOpen) return;
    try {
      db.stmt(SET_META).run("durable_group", `${run}:${++n}`);
    } catch (e) {
      failed(e);
    }
  };
}
