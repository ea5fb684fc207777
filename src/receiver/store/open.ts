import { ErrorCode, HearthError } from "../../core/errors.js";
import type { ReceiverStore } from "./types.js";

/**
 * The store a `--db` URL names: `sqlite:PATH` (embedded, one machine) or `postgres://…` /
 * `postgresql://…` (shared by instances on several machines). Each driver is loaded only when named.
 */
export async function openStore(url: string): Promise<ReceiverStore> {
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length);
    if (path === "") throw new HearthError("--db sqlite:PATH needs a path", ErrorCode.Usage);
    const { SqliteStore } = await import("./sqlite.js");
    return new SqliteStore(path);
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { PostgresStore } = await import("./postgres.js");
    return new PostgresStore(url);
  }
  throw new HearthError(`--db ${url}: expected sqlite:PATH or postgres://…`, ErrorCode.Usage);
}
