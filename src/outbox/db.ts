import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ErrorCode, HearthError, isHearthError } from "../core/errors.js";
import { classifyStorageError } from "./failure.js";
import { type Ledger, readLedger } from "./ledger.js";
import { PendingMirror } from "./pending-mirror.js";
import { migrate } from "./schema.js";

export type { Ledger } from "./ledger.js";

const OPEN_CODE = {
  corrupt: ErrorCode.OutboxCorrupt,
  read_only: ErrorCode.OutboxReadOnly,
  full: ErrorCode.OutboxFull,
  io: ErrorCode.OutboxIo,
} as const;

/**
 * Whether `e` says another connection holds the file: the running agent keeps it locked (see
 * `OutboxDb.open`). For the tools that open the file read-only.
 */
export function inUse(e: unknown): boolean {
  return String((e as { code?: unknown } | undefined)?.code ?? "").startsWith("SQLITE_BUSY");
}

/** Page size of a fresh outbox file (bytes). */
export const PAGE_SIZE = 1024;

/**
 * WAL frames after which a commit checkpoints: SQLite's default for the commits without an fsync of their
 * own (delivery marks, telemetry, pruning), and a far bound for the durable ones (alerts, events, and
 * every commit inside a durable group: a press's counter, alert, event and barrier), which thus never
 * pay a checkpoint (pages written to the file and its fsync, a few milliseconds) while nothing else is
 * committed: the next delivery mark or telemetry batch does it, after the PUBACK of the alert that
 * filled the log (issue 14, press → PUBACK). The far bound keeps the log within about 8 MiB if nothing
 * else commits for a long time.
 */
export const CHECKPOINT_FRAMES = 1000;
export const DURABLE_CHECKPOINT_FRAMES = 8000;

/** What `PRAGMA wal_checkpoint` reports: frames in the WAL, and how many of them are in the file now. */
export interface Checkpointed {
  log: number;
  checkpointed: number;
}

/**
 * How long a read-only tool waits for the file (better-sqlite3 waits 5 s by default): the running agent
 * never lets go of it, so waiting longer only delays the answer.
 */
export const TOOL_BUSY_MS = 200;

/** The error a read-only tool throws when the running agent holds the outbox. */
export function inUseError(path: string, e: unknown): HearthError {
  return new HearthError(
    `the running agent holds the outbox '${path}' (it keeps the file to itself to spare the card)`,
    ErrorCode.OutboxInUse,
    { path },
    { cause: e },
  );
}

/**
 * The SQLite connection of one outbox: opened private, in WAL mode, migrated; statements prepared once
 * per connection; `relaxed` for the commits that need no fsync of their own.
 */
export class OutboxDb {
  readonly path: string;
  /** The pending rows while they are few, so that the drain's page is not read back (pending-mirror.ts). */
  readonly mirror = new PendingMirror();
  #db: Database.Database | undefined;
  readonly #stmts = new Map<string, Database.Statement>();
  /** Inside `withoutCheckpoints` (a durable group): relaxed commits keep the far bound too. */
  #quiet = 0;
  /** A bulk commit (a replay's marks) kept the far bound since the last `settle`: one checkpoint owed. */
  #owed = false;
  /** The connection's one transaction function (`atomic`). */
  #atomic: Database.Transaction<(fn: () => unknown) => unknown> | undefined;
  /** Ends a durable group's open transaction (durable-group.ts), before a write that commits alone. */
  #alone: (() => void) | undefined;

  constructor(path: string) {
    this.path = path;
  }

  get isOpen(): boolean {
    return this.#db !== undefined;
  }

  /**
   * Opens (or creates) the file and returns the counters it holds. Throws `OutboxCorrupt` (not a
   * database, damaged), `OutboxReadOnly` (read-only filesystem, permissions), `OutboxSchemaNewer`, or
   * `OutboxIo` for anything else; the driver's error is the cause.
   */
  open(): Ledger {
    const { path } = this;
    let db: Database.Database | undefined;
    try {
      if (path !== ":memory:") {
        // The outbox holds personal data: the file is created private before SQLite opens it.
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        closeSync(openSync(path, "a", 0o600));
      }
      db = new Database(path);
      if (path !== ":memory:") db.pragma("busy_timeout = 5000");
      // Before WAL is first used: the WAL index then lives in this process's memory, not in the shared
      // outbox.db-shm, whose pages the kernel would write back to the card after nearly every commit
      // (a third of the bytes each commit wrote, docs/BENCHMARKS.md). The price: no other process can
      // read the file while the agent runs (`hearth doctor`, `routine` and the support bundle ask the
      // agent instead, see inUse).
      db.pragma("locking_mode = EXCLUSIVE");
      // A fresh file only (an existing one keeps its size): a commit writes whole pages, and a telemetry
      // row or a delivery mark touches two or three; the kernel writes 4 KiB blocks, and 1 KiB frames
      // in the WAL share them.
      db.pragma(`page_size = ${PAGE_SIZE}`);
      return this.adopt(db, true);
    } catch (e) {
      db?.close();
      if (isHearthError(e, ErrorCode.OutboxSchemaNewer)) throw e;
      // Damage only the integrity check finds (the header sound, a page behind it smashed) is corrupt
      // too: moved aside at start, not taken for an I/O error that runs the agent from memory.
      const kind = isHearthError(e, ErrorCode.OutboxCorrupt) ? "corrupt" : classifyStorageError(e);
      throw new HearthError(`Failed to open outbox '${path}'`, OPEN_CODE[kind], { path }, { cause: e });
    }
  }

  /**
   * Takes over a connection opened elsewhere (an in-memory copy of a file that cannot be written),
   * migrates it and returns its counters. `wal`: the file-backed journal mode (not for memory).
   */
  adopt(db: Database.Database, wal = false): Ledger {
    if (wal) {
      db.pragma("journal_mode = WAL");
      // A truncated or damaged file can open without complaint: look at every page once, at start.
      const check = db.pragma("quick_check(1)", { simple: true });
      if (check !== "ok")
        throw new HearthError(
          `outbox '${this.path}' failed its integrity check: ${String(check)}`,
          ErrorCode.OutboxCorrupt,
          {
            path: this.path,
          },
        );
    }
    db.pragma("synchronous = FULL");
    db.pragma(`wal_autocheckpoint = ${DURABLE_CHECKPOINT_FRAMES}`);
    db.pragma("busy_timeout = 5000");
    migrate(db);
    this.mirror.install(db);
    const ledger = readLedger(db);
    this.#stmts.clear();
    this.#atomic = undefined;
    this.#db = db;
    return ledger;
  }

  close(): void {
    this.mirror.forget();
    this.#stmts.clear();
    this.#atomic = undefined;
    try {
      this.#db?.close();
    } finally {
      this.#db = undefined;
    }
  }

  /** The connection; throws `OutboxClosed` when the outbox is not open. */
  need(): Database.Database {
    if (!this.#db)
      throw new HearthError("The outbox is not open", ErrorCode.OutboxClosed, { path: this.path });
    return this.#db;
  }

  /** Prepared statements, cached per connection. */
  stmt(sql: string): Database.Statement {
    const db = this.need();
    let s = this.#stmts.get(sql);
    if (!s) {
      s = db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /**
   * Runs `fn` in a transaction begun IMMEDIATE (a savepoint inside another `atomic`), committed when it
   * returns and rolled back when it throws. It commits alone (`alone`): a durable group's open transaction
   * commits first, since only the group's own rows and kv values may ride in it (durable-group.ts). One
   * transaction function serves every call: better-sqlite3's `transaction()` builds five wrapper functions
   * each time, a tenth of the garbage a press made (docs/BENCHMARKS.md, "press p99").
   */
  atomic<T>(fn: () => T): T {
    const conn = this.need();
    this.alone();
    this.#atomic ??= conn.transaction((f: () => unknown) => f());
    try {
      return this.#atomic.immediate(fn) as T;
    } catch (e) {
      // Rolled back: what the mirror was told inside it did not happen.
      this.mirror.forget();
      throw e;
    }
  }

  /** Who ends a durable group's open transaction: the group (durable-group.ts). */
  onAlone(end: () => void): void {
    this.#alone = end;
  }

  /**
   * Before a write that must commit on its own (a telemetry burst, delivery marks, a prune, held rows
   * written back): a durable group's open transaction commits first, so that none of those rides in a
   * transaction the group might roll back.
   */
  alone(): void {
    this.#alone?.();
  }

  /**
   * Runs `fn` with `synchronous = NORMAL` (safe against a crash in WAL mode, no fsync per commit); its
   * commits checkpoint the log when it holds CHECKPOINT_FRAMES, except inside `withoutCheckpoints` and
   * when `bulk` (a replay's delivery marks): those keep the far bound, and `settle` checkpoints later.
   * Commits alone (`alone`).
   */
  relaxed(fn: () => void, bulk = false): void {
    this.alone();
    // Prepared once (db.pragma() compiles its statement on every call: a tenth of a batched write).
    this.stmt("PRAGMA synchronous = NORMAL").run();
    const checkpoints = this.#quiet === 0 && !bulk;
    if (bulk) this.#owed = true;
    if (checkpoints) this.stmt(`PRAGMA wal_autocheckpoint = ${CHECKPOINT_FRAMES}`).run();
    try {
      fn();
    } finally {
      this.stmt("PRAGMA synchronous = FULL").run();
      if (checkpoints) this.stmt(`PRAGMA wal_autocheckpoint = ${DURABLE_CHECKPOINT_FRAMES}`).run();
    }
  }

  /** Whether a bulk commit put a checkpoint off since the last `settle`. */
  get owed(): boolean {
    return this.#owed;
  }

  /**
   * The checkpoint bulk commits put off, now, if one is owed: PASSIVE (this connection is the file's only
   * one, so it copies every frame), with its fsync. Undefined when none was owed. A commit that reached
   * its own bound may have checkpointed since; the frames left are then few or none, and so is the work.
   */
  settle(): Checkpointed | undefined {
    if (!this.#owed || !this.#db) return undefined;
    this.#owed = false;
    this.alone();
    const r = this.stmt("PRAGMA wal_checkpoint(PASSIVE)").get() as {
      busy: number;
      log: number;
      checkpointed: number;
    };
    return { log: r.log, checkpointed: r.checkpointed };
  }

  /** Runs `fn` (a durable group) with no checkpoint in any of its commits (see CHECKPOINT_FRAMES). */
  withoutCheckpoints<T>(fn: () => T): T {
    this.#quiet++;
    try {
      return fn();
    } finally {
      this.#quiet--;
    }
  }
}
