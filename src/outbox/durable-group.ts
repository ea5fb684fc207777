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

  /** Whether a durable write now is to wait in memory for the group's end (HeldGroup). */
  holds(): boolean {
    return false;
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

/** What a `HeldGroup` needs of its outbox. */
export interface HeldGroupParts {
  /** A storage fault holds messages or kv values in memory already: the group then writes as it comes. */
  faultHeld(): boolean;
  /** Writes what the group held, in one durable commit (the storage guard's `endGroup`). */
  writeHeld(): void;
  /** Makes durable what the group committed without an fsync (fsyncBarrier). */
  barrier(): void;
}

/**
 * The outbox's durable group (sqlite.ts). With no storage fault held, the group's alerts, events and kv
 * values wait in memory (the memory lane and the kv's held values, read back from there; nothing is
 * published before the group ends) and its end writes them all in one commit with one fsync: each page
 * the group dirties (the kv row's, the meta counters', the pending index's) is written once, and three
 * commits are saved. With a fault held, as before: each write commits without an fsync and the barrier
 * at the end makes them durable. A failed end leaves them held, as a failed put would.
 */
export class HeldGroup extends DurableGroup {
  readonly #o: HeldGroupParts;
  #held = false;

  constructor(parts: HeldGroupParts) {
    super();
    this.#o = parts;
  }

  override holds(): boolean {
    if (!this.active) return false;
    if (!this.#held) {
      if (this.#o.faultHeld()) return false;
      this.#held = true;
      this.deferred();
    }
    return true;
  }

  durably<T>(fn: () => T): T {
    return this.run(fn, () => this.#end());
  }

  #end(): void {
    if (this.#held) {
      this.#held = false;
      this.#o.writeHeld();
    } else this.#o.barrier();
  }
}
