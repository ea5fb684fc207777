import type BetterSqlite3 from "better-sqlite3";

/**
 * The outbox keeps its connection private; a test that must reach it (to make the disk refuse a write)
 * mocks better-sqlite3 with `trackedSqlite`, and finds every connection opened since here:
 *
 *   vi.mock("better-sqlite3", async (real) => (await import("./tracked-sqlite.js")).trackedSqlite(real));
 */
export const opened: BetterSqlite3.Database[] = [];

/** The newest connection opened; throws when there is none. */
export function lastOpened(): BetterSqlite3.Database {
  const db = opened.at(-1);
  if (!db) throw new Error("the outbox opened no database");
  return db;
}

export async function trackedSqlite(
  importOriginal: <T>() => Promise<T>,
): Promise<{ default: typeof BetterSqlite3 }> {
  const real = (await importOriginal<{ default: typeof BetterSqlite3 }>()).default;
  function Tracked(...args: ConstructorParameters<typeof BetterSqlite3>): BetterSqlite3.Database {
    const db = new real(...args);
    opened.push(db);
    return db;
  }
  return { default: Tracked as unknown as typeof BetterSqlite3 };
}
