import Database from "better-sqlite3";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { OutboxDb } from "./db.js";
import type { KeyValueStore } from "./types.js";

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
      const upsert = db.stmt(
        "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      );
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
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new HearthError(
      `Failed to open outbox '${path}' read-only`,
      ErrorCode.OutboxClosed,
      { path },
      { cause: e },
    );
  }
  const get = db.prepare("SELECT value FROM kv WHERE key = ?");
  return {
    kv: {
      get: (key) => (get.get(key) as { value: string } | undefined)?.value,
      set: (key) => {
        throw new HearthError(`outbox '${path}' is open read-only`, ErrorCode.OutboxClosed, { path, key });
      },
    },
    close: () => db.close(),
  };
}
