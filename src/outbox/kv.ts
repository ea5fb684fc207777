import Database from "better-sqlite3";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { inUse, inUseError, type OutboxDb, TOOL_BUSY_MS } from "./db.js";
import type { DurableGroup } from "./durable-group.js";
import type { KeyValueStore } from "./types.js";

const UPSERT =
  "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/**
 * The kv table for the agent's parts, never throwing into them: a value the disk refuses (full, I/O
 * error, read-only) is kept in memory, read back from there, and written with the next successful
 * `writeHeld`. A BLE counter or a learned model is then lost only if the process dies before storage
 * recovers, and the press or reading that moved it is never lost with it.
 */
export class FailSafeKv implements KeyValueStore {
  readonly #db: OutboxDb;
  readonly #log: Logger;
  readonly #onFailure: (e: unknown) => void;
  readonly #held = new Map<string, string>();
  readonly #inner: KeyValueStore;
  readonly #group: DurableGroup | undefined;

  constructor(db: OutboxDb, log: Logger, onFailure: (e: unknown) => void, group?: DurableGroup) {
    this.#db = db;
    this.#log = log;
    this.#onFailure = onFailure;
    this.#inner = kvStore(db);
    this.#group = group;
  }

  /** Values waiting in memory for the disk. */
  get held(): number {
    return this.#held.size;
  }

  get(key: string): string | undefined {
    const v = this.#held.get(key);
    if (v !== undefined) return v;
    try {
      return this.#inner.get(key);
    } catch (e) {
      this.#log.error({ err: e, key }, "Outbox kv read failed");
      return undefined;
    }
  }

  set(key: string, value: string): void {
    if (this.#held.size > 0) {
      // Keep the order of writes: once values wait, new ones wait behind them.
      this.#held.set(key, value);
      return;
    }
    const group = this.#group;
    const joined = group?.join() ?? false;
    try {
      if (joined) {
        // In the group's transaction (a BLE counter with its press's alert): one commit for both.
        this.#db.stmt(UPSERT).run(key, value);
        group?.wroteKv(key, value);
      } else if (group?.active) {
        // Made durable with the rest of the group, by its barrier.
        group.deferred();
        this.#db.relaxed(() => this.#inner.set(key, value));
      } else this.#inner.set(key, value);
    } catch (e) {
      // The group's transaction is rolled back: its earlier values come here first (`keep`), then this one.
      if (joined) group?.abort(e);
      this.#held.set(key, value);
      this.#log.error({ err: e, key }, "Outbox kv write failed: value kept in memory");
      this.#onFailure(e);
    }
  }

  /** Values a rolled-back durable group had written: kept here until `writeHeld`. */
  keep(values: ReadonlyMap<string, string>): void {
    for (const [k, v] of values) this.#held.set(k, v);
  }

  /** Writes the values kept in memory; throws what SQLite throws (they stay held then). */
  writeHeld(): void {
    if (this.#held.size === 0) return;
    const upsert = this.#db.stmt(UPSERT);
    this.#db.atomic(() => {
      for (const [k, v] of this.#held) upsert.run(k, v);
    });
    this.#held.clear();
  }
}

/** The `kv` table: small durable values other parts keep next to the messages. */
export function kvStore(db: OutboxDb): KeyValueStore {
  return {
    get(key) {
      db.need();
      const r = db.stmt("SELECT value FROM kv WHERE key = ?").get(key) as { value: string } | undefined;
      return r?.value;
    },
    set(key, value) {
      db.need();
      const upsert = db.stmt(UPSERT);
      // Without an fsync of its own: it survives a crash of the process (WAL), and the next durable
      // commit (an alert, an event) syncs it to disk. A BLE counter is written for every advert; a
      // press writes an alert right after, so the press's counter is on disk with the press.
      db.relaxed(() => {
        upsert.run(key, value);
      });
    },
  };
}

/**
 * The key/value store of an outbox file, opened read-only: for tools (`hearth routine`) that look at
 * what a running agent keeps without migrating, pruning or writing anything. `set` refuses.
 */
export function readOnlyKeyValue(path: string): { kv: KeyValueStore; close(): void } {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: TOOL_BUSY_MS });
  } catch (e) {
    throw new HearthError(
      `Failed to open outbox '${path}' read-only`,
      ErrorCode.OutboxClosed,
      { path },
      { cause: e },
    );
  }
  let get: Database.Statement;
  try {
    get = db.prepare("SELECT value FROM kv WHERE key = ?");
  } catch (e) {
    db.close();
    throw inUse(e) ? inUseError(path, e) : e;
  }
  return {
    kv: {
      get: (key) => {
        try {
          return (get.get(key) as { value: string } | undefined)?.value;
        } catch (e) {
          throw inUse(e) ? inUseError(path, e) : e;
        }
      },
      set: (key) => {
        throw new HearthError(`outbox '${path}' is open read-only`, ErrorCode.OutboxClosed, { path, key });
      },
    },
    close: () => db.close(),
  };
}
