/**
 * The little a store needs from a SQL database, so that one store (sql-store.ts) runs on SQLite and on
 * PostgreSQL. Statements use `?` placeholders (the PostgreSQL side numbers them) and no `?` elsewhere.
 */
export type SqlValue = string | number | null;

export interface SqlDb {
  readonly dialect: "sqlite" | "postgres";
  query<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement; resolves with the number of rows it inserted, changed or deleted. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Runs `fn` in a transaction that holds the database's migration lock, so two receivers starting
   * together do not both migrate.
   */
  exclusive<T>(fn: (db: SqlDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …`. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
