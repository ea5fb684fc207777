import { randomUUID } from "node:crypto";
import type { OutboxDb } from "./db.js";
import type { HeldRow } from "./held-rows.js";
import { SET_META } from "./schema.js";

/** What a group's transaction held when it failed: rolled back, to be kept elsewhere. */
export interface GroupLoss {
  /** The rows it wrote (alerts, events), with their ids and seqs. */
  rows: HeldRow[];
  /** The kv values it wrote, in order. */
  kv: Map<string, string>;
  /** The ledger's size when the transaction began. */
  size: number;
  /** Undelivered telemetry its commits shed, which the rollback put back. */
  shed: number;
}

export interface DurableGroupHooks {
  /** The group's transaction was rolled back: keep what it wrote (memory lane, kv), report `e`. */
  lost: (loss: GroupLoss, e: unknown) => void;
  /** Whether the transaction may begin: nothing is held in memory, so the disk's order is the seq order. */
  may: () => boolean;
  /** The ledger's size now (the transaction's start restores it). */
  size: () => number;
  /**
   * The group's own commit failed (after `lost`): what a failed put gets (room made on a full disk,
   * the held rows written back if they can be, the fault reported), since no writer is there to fail.
   */
  commitFailed: (e: unknown) => void;
  /** The barrier's write failed: the rows stay committed; the fault is reported. */
  failed: (e: unknown) => void;
}

/**
 * What belongs together is made durable together: the alerts, events and kv values (a BLE counter) that
 * one advert or one pipeline tick writes are committed in **one SQLite transaction**, opened by the
 * group's first such write and committed, with `synchronous = FULL` and so one fsync, when the outermost
 * group ends. A press thus writes its counter, its alert and its event once, in one commit, and nothing
 * is published before it: the uplink runs only after the synchronous group ends.
 *
 * Only writes the group can undo join the transaction: rows it can hand to the memory lane and kv values
 * it can keep in memory. Any other write (a telemetry burst, delivery marks, a prune) commits the group's
 * transaction first (`alone`), and the rest of the group runs as before the transaction: commits without
 * an fsync of their own, made durable by one barrier at the end. If the transaction fails (a joined write
 * or its commit), it is rolled back and what it wrote goes to `lost`: the memory lane publishes the rows
 * with their ids and seqs, so the press still goes out; the rest of the group commits row by row.
 * Groups nest; only the outermost one ends with the commit or the barrier. A group that throws still
 * commits what it wrote before the throw.
 */
export class DurableGroup {
  readonly #db: OutboxDb;
  readonly #hooks: DurableGroupHooks;
  readonly #barrier: () => void;
  #depth = 0;
  /** A commit outside the transaction was made without its own fsync: the group's end owes one. */
  #deferred = false;
  /** The transaction this group began is open. */
  #open = false;
  #rows: HeldRow[] = [];
  #kv = new Map<string, string>();
  #size = 0;
  #shed = 0;

  constructor(db: OutboxDb, hooks: DurableGroupHooks) {
    this.#db = db;
    this.#hooks = hooks;
    this.#barrier = fsyncBarrier(db, hooks.failed);
    db.onAlone(() => this.#leave());
  }

  get active(): boolean {
    return this.#depth > 0;
  }

  /** A commit inside the group was made without its own fsync: the group's end owes one. */
  deferred(): void {
    this.#deferred = true;
  }

  /**
   * Inside a group, a write that can join its transaction asks here: true when the transaction is open
   * (begun now if the hooks' `may` allows). False outside a group, or when the transaction cannot begin:
   * the write then commits on its own.
   */
  join(): boolean {
    if (this.#depth === 0) return false;
    if (this.#open) return true;
    if (!this.#db.isOpen || !this.#hooks.may()) return false;
    try {
      this.#db.stmt("BEGIN IMMEDIATE").run();
    } catch {
      // The write goes on without the transaction, and meets the same trouble there, where it is handled.
      return false;
    }
    this.#open = true;
    this.#size = this.#hooks.size();
    this.#shed = 0;
    return true;
  }

  /** A joined write committed inside the transaction: a row, what its size bound shed. */
  wrote(row: HeldRow, shed: number): void {
    this.#rows.push(row);
    this.#shed += shed;
  }

  /** A joined kv value written inside the transaction. */
  wroteKv(key: string, value: string): void {
    this.#kv.set(key, value);
  }

  /** A joined write failed: the transaction is rolled back and what it held goes to `lost`. */
  abort(e: unknown): void {
    if (!this.#open) return;
    this.#open = false;
    this.#rollback();
    this.#hand(e);
  }

  /** Runs `fn` as a group; the outermost one ends with the transaction's commit, or the barrier. */
  run<T>(fn: () => T): T {
    this.#depth++;
    try {
      return fn();
    } finally {
      this.#depth--;
      if (this.#depth === 0) this.#end();
    }
  }

  #end(): void {
    if (this.#open) this.#commit();
    if (this.#deferred) {
      this.#deferred = false;
      this.#barrier();
    }
  }

  /** Another write must commit on its own: the transaction commits first (and its fsync covers both). */
  #leave(): void {
    if (this.#open) this.#commit();
  }

  #commit(): void {
    this.#open = false;
    try {
      this.#db.stmt("COMMIT").run();
      // The commit's fsync covered every frame before it: no barrier owed for the deferred ones.
      this.#deferred = false;
      this.#forget();
    } catch (e) {
      this.#rollback();
      this.#hand(e);
      this.#hooks.commitFailed(e);
    }
  }

  /** A failed write or commit may leave the transaction open (a deferred constraint): it ends here. */
  #rollback(): void {
    this.#db.mirror.forget();
    try {
      if (this.#db.isOpen && this.#db.need().inTransaction) this.#db.stmt("ROLLBACK").run();
    } catch {
      // Nothing to undo: in WAL mode a rollback only drops the transaction's pages from memory.
    }
  }

  /** What the rolled-back transaction held, to `lost`; the group's record starts afresh. */
  #hand(e: unknown): void {
    const loss: GroupLoss = { rows: this.#rows, kv: this.#kv, size: this.#size, shed: this.#shed };
    this.#rows = [];
    this.#kv = new Map();
    this.#shed = 0;
    if (loss.rows.length > 0 || loss.kv.size > 0) this.#hooks.lost(loss, e);
  }

  /** After a commit: the record is emptied in place (a press's commit allocates nothing for it). */
  #forget(): void {
    this.#rows.length = 0;
    this.#kv.clear();
    this.#shed = 0;
  }
}

/**
 * The end of a group whose commits ran outside its transaction: a durable write fsyncs the log, and with
 * it the group's frames before it. The value written changes every time: SQLite writes nothing (and
 * syncs nothing) for a row rewritten with the same content. A failure is reported (`failed`); the rows
 * stay committed and go out.
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
