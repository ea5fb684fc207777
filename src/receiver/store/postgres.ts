import pg from "pg";
import { ErrorCode, HearthError } from "../../core/errors.js";
import { numberedPlaceholders, type SqlDb, type SqlValue } from "./sql.js";
import { SqlStore } from "./sql-store.js";

/** An arbitrary constant: the advisory lock the receivers' migrations hold. */
const MIGRATION_LOCK = 4_721_011;

/** BIGINT (int8) columns and COUNT(*) as numbers: every one we keep is a time in ms or a counter. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/** A pg Pool (or one client of it, inside a transaction) behind the SqlDb seam. */
class PostgresDb implements SqlDb {
  readonly dialect = "postgres";
  readonly #q: pg.Pool | pg.PoolClient;
  readonly #pool: pg.Pool | undefined;

  constructor(q: pg.Pool | pg.PoolClient, pool?: pg.Pool) {
    this.#q = q;
    this.#pool = pool;
  }

  async query<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const r = await this.#q.query(numberedPlaceholders(sql), params as SqlValue[]);
    return r.rows as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const r = await this.#q.query(numberedPlaceholders(sql), params as SqlValue[]);
    return r.rowCount ?? 0;
  }

  async exclusive<T>(fn: (db: SqlDb) => Promise<T>): Promise<T> {
    if (!this.#pool) throw new HearthError("a transaction inside a transaction", ErrorCode.Internal);
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      const r = await fn(new PostgresDb(client));
      await client.query("COMMIT");
      return r;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.#pool) await this.#pool.end();
  }
}

/** The shared store for receivers on several machines: PostgreSQL through a pool of `pg` clients. */
export class PostgresStore extends SqlStore {
  constructor(connectionString: string, poolSize = 10) {
    const pool = new pg.Pool({ connectionString, max: poolSize, types });
    // An idle client's error (the server restarted) must not end the process; the next query reconnects.
    pool.on("error", () => {});
    super(new PostgresDb(pool, pool));
  }
}
