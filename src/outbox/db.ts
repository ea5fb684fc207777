import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ErrorCode, HearthError } from "../core/errors.js";
import { type Ledger, readLedger } from "./ledger.js";
import { migrate } from "./schema.js";

export type { Ledger } from "./ledger.js";

/**
 * The SQLite connection of one outbox: opened private, in WAL mode, migrated; statements prepared once
 * per connection; `relaxed` for the commits that need no fsync of their own.
 */
export class OutboxDb {
  readonly path: string;
  #db: Database.Database | undefined;
  readonly #stmts = new Map<string, Database.Statement>();

  constructor(path: string) {
    this.path = path;
  }

  get isOpen(): boolean {
    return this.#db !== undefined;
  }

  /** Opens (or creates) the file and returns the counters it holds. */
  open(): Ledger {
    const { path } = this;
    if (path !== ":memory:") {
      // The outbox holds personal data: the file is created private before SQLite opens it.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      closeSync(openSync(path, "a", 0o600));
    }
    const db = new Database(path);
    let ledger: Ledger;
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("busy_timeout = 5000");
      migrate(db);
      ledger = readLedger(db);
    } catch (e) {
      db.close();
      throw new HearthError(
        `Failed to open outbox '${path}'`,
        ErrorCode.OutboxClosed,
        { path },
        { cause: e },
      );
    }
    this.#db = db;
    return ledger;
  }

  close(): void {
    this.#stmts.clear();
    this.#db?.close();
    this.#db = undefined;
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

  /** Runs `fn` with `synchronous = NORMAL` (safe against a crash in WAL mode, no fsync per commit). */
  relaxed(fn: () => void): void {
    const db = this.need();
    db.pragma("synchronous = NORMAL");
    try {
      fn();
    } finally {
      db.pragma("synchronous = FULL");
    }
  }
}
