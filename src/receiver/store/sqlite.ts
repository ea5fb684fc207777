import Database from "better-sqlite3";
import type { SqlDb, SqlValue } from "./sql.js";
import { SqlStore } from "./sql-store.js";

/**
 * Transactions under way in this process, by file: a second connection to the same file must wait for
 * them here, because SQLite's own wait (busy_timeout) would block the one thread that could finish them.
 */
const inProcess = new Map<string, Promise<unknown>>();

/** better-sqlite3 behind the SqlDb seam: synchronous calls, answered as promises. */
class SqliteDb implements SqlDb {
  readonly dialect = "sqlite";
  readonly #db: Database.Database;
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    // Two receivers on one machine share the file: wait for the other's write instead of failing.
    this.#db.pragma("busy_timeout = 5000");
  }

  query<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      return Promise.resolve(this.#db.prepare(sql).all(...params) as T[]);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    try {
      return Promise.resolve(this.#db.prepare(sql).run(...params).changes);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async exclusive<T>(fn: (db: SqlDb) => Promise<T>): Promise<T> {
    const before = inProcess.get(this.#path);
    const mine = (async () => {
      await before?.catch(() => {});
      return this.#transaction(fn);
    })();
    inProcess.set(this.#path, mine);
    try {
      return await mine;
    } finally {
      if (inProcess.get(this.#path) === mine) inProcess.delete(this.#path);
    }
  }

  async #transaction<T>(fn: (db: SqlDb) => Promise<T>): Promise<T> {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const r = await fn(this);
      this.#db.exec("COMMIT");
      return r;
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    }
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

/** The embedded store: one SQLite file, for receivers on one machine. */
export class SqliteStore extends SqlStore {
  constructor(path: string) {
    super(new SqliteDb(path));
  }
}
