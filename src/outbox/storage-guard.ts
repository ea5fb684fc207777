import type { Envelope } from "../contract/messages.js";
import type { Logger } from "../core/log.js";
import { BALLAST_MARGIN_BYTES, type Ballast, freeBytes } from "./ballast.js";
import type { SizeBound } from "./bound.js";
import type { Ledger, OutboxDb } from "./db.js";
import { classifyStorageError, type StorageFailure } from "./failure.js";
import type { FailSafeKv } from "./kv.js";
import type { MemoryLane } from "./memory-lane.js";
import type { Opened } from "./recover.js";
import type { StorageFault, StorageFaultReason, StorageHealth, StorageState } from "./storage-health.js";
import type { Draft } from "./write.js";

/** Rows freed when the disk is full, before the ballast goes: room for many alerts. */
export const SHED_BYTES = 512 * 1024;

const REASON: Record<StorageFailure, StorageFaultReason> = {
  full: "full",
  corrupt: "corrupt",
  read_only: "read_only",
  io: "io_error",
};

export interface StorageGuardOptions {
  db: OutboxDb;
  ledger: Ledger;
  bound: SizeBound;
  lane: MemoryLane;
  kv: () => FailSafeKv;
  ballast: Ballast | undefined;
  /** The state directory, for free space (undefined for an outbox in memory). */
  dir: string | undefined;
  log: Logger;
  /** Commits one draft durably (with the seq mark and the write listeners). */
  commit: (d: Draft) => Envelope;
  /** Keeps one draft in the memory lane (with the write listeners). */
  hold: (d: Draft) => Envelope;
  /** Called after held messages went to disk. */
  written: () => void;
  /** Called when room was just made on a full disk: moves the seq mark far ahead while it can. */
  reserve: () => void;
  /**
   * A write failed as read-only or as an I/O error: when the state directory has turned read-only
   * under the running outbox, moves it to a copy in the runtime directory (or memory) and returns
   * true; false when the directory is still writable or the move cannot be made.
   */
  leaveReadOnlyDir?: () => boolean;
}

/**
 * What the outbox does when storage fails, so that no alert or event is lost while the process
 * lives: on SQLITE_FULL it sheds telemetry and gives back the ballast, then retries once; a write that
 * still fails is held in the memory lane. It keeps the storage state for the heartbeat, reports a
 * fault once (the agent raises the `storage` alert) and its end (the alert is cleared) from `check`,
 * which runs periodically: held messages are written back, and the ballast is recreated when there
 * is room for it again.
 */
export class StorageGuard {
  readonly #o: StorageGuardOptions;
  readonly #listeners = new Set<(fault: StorageFault | undefined) => void>();
  #state: StorageState = "ok";
  #fault: StorageFault | undefined;
  #backing: "file" | "memory" = "file";

  constructor(o: StorageGuardOptions) {
    this.#o = o;
  }

  get state(): StorageState {
    return this.#state;
  }

  get fault(): StorageFault | undefined {
    return this.#fault;
  }

  /** After the outbox opened: a fault found at the start is reported; the ballast is put in place. */
  started(opened: Opened): void {
    this.#backing = opened.backing;
    this.#state = opened.backing === "memory" ? "read_only" : "ok";
    if (opened.fault) {
      if (opened.backing === "file") this.#state = "degraded";
      this.#report({
        reason: opened.fault.reason,
        detail: opened.fault.detail,
        ...(opened.fault.moved_to !== undefined ? { moved_to: opened.fault.moved_to } : {}),
      });
    } else if (opened.backing === "file") this.#o.ballast?.ensure();
  }

  /** An alert, event or summary: committed, or after a failure held in memory. Never throws for storage. */
  put(d: Draft): Envelope {
    if (this.#o.lane.size > 0) this.#tryWriteHeld();
    if (this.#o.lane.size === 0) {
      try {
        return this.#o.commit(d);
      } catch (e) {
        const retried = this.#afterFailure(e, d);
        if (retried) return retried;
      }
    }
    return this.#o.hold(d);
  }

  /** A write that failed outside `put` (telemetry, kv, delivery marks): state and fault only. */
  failed(e: unknown, what: string): void {
    const kind = classifyStorageError(e);
    this.#o.log.error({ err: e, what, failure: kind }, "Outbox write failed");
    if (this.#leftReadOnlyDir(e)) return;
    if (this.#state === "ok") this.#state = "degraded";
    this.#report({ reason: REASON[kind], detail: `${what}: ${describe(e)}` });
  }

  /**
   * A durable group's commit failed and its rows were handed to the memory lane (durable-group.ts): as
   * for a failed put, a full disk gets room made (telemetry shed, the ballast given back) and the held
   * rows are written back at once; what still cannot be written stays held, published from memory.
   */
  groupFailed(e: unknown): void {
    const failed = this.#retryAfter(e, () => {
      if (!this.#tryWriteHeld()) throw e;
    });
    if (!failed) return;
    const kind = classifyStorageError(failed.last);
    this.#state = "memory";
    this.#o.log.error(
      { err: failed.last, failure: kind, memory_lane: this.#o.lane.size },
      "Outbox commit failed: the durable group's messages held in memory",
    );
    this.#report(this.#faultOf(kind, failed.last));
  }

  /** Periodic (and on demand): writes held messages back, recreates the ballast, ends the fault. */
  check(): void {
    if (this.#backing === "memory") return;
    if (!this.#tryWriteHeld()) return;
    const ballast = this.#o.ballast;
    const free = this.#free();
    const roomy =
      !ballast || ballast.bytes === 0 || free === undefined || free >= ballast.bytes + BALLAST_MARGIN_BYTES;
    if (!this.#fault) {
      this.#state = "ok";
      if (roomy) ballast?.ensure();
      return;
    }
    if (!roomy) {
      this.#state = "degraded";
      return;
    }
    ballast?.ensure();
    const was = this.#fault;
    this.#fault = undefined;
    this.#state = "ok";
    this.#o.log.info({ reason: was.reason, free_bytes: free }, "Storage recovered");
    this.#emit(undefined);
  }

  health(): StorageHealth {
    const free = this.#free();
    return {
      state: this.#state,
      ...(free !== undefined ? { free_mb: Math.floor(free / 1048576) } : {}),
      memory_lane: this.#o.lane.size,
      shed_telemetry: this.#o.bound.shedTelemetry,
    };
  }

  /** Listens for a fault (raise the storage alert) and its end (undefined: clear it). */
  onChange(listener: (fault: StorageFault | undefined) => void): () => void {
    this.#listeners.add(listener);
    // A fault found at the start, before anyone listened.
    if (this.#fault) {
      const f = this.#fault;
      queueMicrotask(() => this.#call(listener, f));
    }
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * The state directory turned read-only while the outbox ran on its file (an SD card's filesystem
   * remounted read-only after an error): the outbox moves off it, once, and runs as a read-only start
   * would (state `read_only`, a `storage` alert until a writable start takes the copy back).
   */
  #leftReadOnlyDir(e: unknown): boolean {
    const kind = classifyStorageError(e);
    if (this.#backing !== "file" || (kind !== "read_only" && kind !== "io")) return false;
    if (!this.#o.leaveReadOnlyDir?.()) return false;
    this.#backing = "memory";
    this.#state = "read_only";
    this.#report(this.#faultOf("read_only", e));
    this.#tryWriteHeld();
    return true;
  }

  /** Makes room on SQLITE_FULL and retries once; undefined when the write still cannot be done. */
  #afterFailure(e: unknown, d: Draft): Envelope | undefined {
    let env: Envelope | undefined;
    const failed = this.#retryAfter(e, () => {
      env = this.#o.commit(d);
    });
    if (!failed) return env;
    const kind = classifyStorageError(failed.last);
    this.#state = "memory";
    this.#o.log.error(
      { err: failed.last, failure: kind, type: d.type, memory_lane: this.#o.lane.size + 1 },
      "Outbox write failed: message held in memory",
    );
    this.#report(this.#faultOf(kind, failed.last, 1));
    return undefined;
  }

  /**
   * After a failed write: leaves a state directory turned read-only, or makes room on a full disk, and
   * runs `retry` once. Undefined when the retry worked, else the last error.
   */
  #retryAfter(e: unknown, retry: () => void): { last: unknown } | undefined {
    let last = e;
    if (this.#leftReadOnlyDir(e)) {
      try {
        retry();
        return undefined;
      } catch (e2) {
        last = e2;
      }
    }
    if (classifyStorageError(e) === "full" && this.#backing === "file" && this.#makeRoom()) {
      this.#o.reserve();
      try {
        retry();
        this.#state = "degraded";
        this.#report(this.#faultOf("full", e));
        return undefined;
      } catch (e2) {
        last = e2;
      }
    }
    return { last };
  }

  #makeRoom(): boolean {
    let freed = 0;
    const shed = () => {
      try {
        const r = this.#o.bound.shed(SHED_BYTES);
        freed += r.freed;
        if (r.freed > 0)
          this.#o.log.warn(
            { freed_bytes: r.freed, shed_telemetry: r.telemetry },
            "Disk full: shed telemetry",
          );
      } catch (e) {
        this.#o.log.warn({ err: e }, "Disk full: could not shed rows");
      }
    };
    shed();
    const released = this.#o.ballast?.release() ?? false;
    if (released && freed === 0) shed();
    return released || freed > 0;
  }

  /** True when nothing is held (any more). */
  #tryWriteHeld(): boolean {
    const { lane } = this.#o;
    const kv = this.#o.kv();
    if (lane.size === 0 && kv.held === 0) return true;
    try {
      const n = lane.writeTo(this.#o.db, this.#o.ledger, this.#o.bound);
      kv.writeHeld();
      if (this.#state === "memory") this.#state = "degraded";
      if (n > 0) this.#o.log.info({ rows: n }, "Held messages written to the outbox");
      this.#o.written();
      return true;
    } catch (e) {
      this.#o.log.debug({ err: e, memory_lane: lane.size }, "Outbox still refuses writes");
      return false;
    }
  }

  #faultOf(kind: StorageFailure, e: unknown, extra = 0): StorageFault {
    const free = this.#free();
    return {
      reason: REASON[kind],
      detail: describe(e),
      ...(free !== undefined ? { free_bytes: free } : {}),
      memory_lane: this.#o.lane.size + extra,
    };
  }

  #report(f: Omit<StorageFault, "memory_lane"> & { memory_lane?: number }): void {
    if (this.#fault) return;
    const full: StorageFault = { ...this.#faultOf("io", undefined), ...f };
    this.#fault = full;
    this.#o.log.error({ ...full }, "Storage fault");
    this.#emit(full);
  }

  #emit(f: StorageFault | undefined): void {
    // Later, not inside the failing write: a listener writes an alert itself.
    for (const l of this.#listeners) queueMicrotask(() => this.#call(l, f));
  }

  #call(l: (f: StorageFault | undefined) => void, f: StorageFault | undefined): void {
    try {
      l(f);
    } catch (e) {
      this.#o.log.error({ err: e }, "Storage fault listener threw");
    }
  }

  #free(): number | undefined {
    return this.#o.dir === undefined ? undefined : freeBytes(this.#o.dir);
  }
}

/** The driver's message (SQLite's own words, a filesystem errno): for the alert's evidence. */
function describe(e: unknown): string {
  let cur: unknown = e;
  while (cur instanceof Error && cur.cause !== undefined) cur = cur.cause;
  return cur instanceof Error ? cur.message : String(cur);
}
