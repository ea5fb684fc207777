import Database from "better-sqlite3";
import { LANES, type Lane } from "../contract/stored.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { inUse, inUseError, TOOL_BUSY_MS } from "./db.js";

export interface OutboxInspection {
  /** "ok", or what SQLite's integrity check found. */
  integrity: string;
  /** Undelivered messages per lane. */
  depth: Record<Lane, number>;
  /** Wall time (ms) the oldest undelivered message was written; undefined when nothing waits. */
  oldestUndeliveredMs: number | undefined;
  sizeBytes: number;
}

/**
 * Looks at an outbox file without changing it (`hearth doctor`): opened read-only, so it neither
 * migrates, prunes nor takes a write lock from the running agent.
 */
export function inspectOutbox(path: string): OutboxInspection {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: TOOL_BUSY_MS });
  } catch (e) {
    throw new HearthError(
      `Failed to open outbox '${path}' read-only: ${errorMessage(e)}`,
      ErrorCode.OutboxClosed,
      { path },
      { cause: e },
    );
  }
  try {
    const rows = db.pragma("integrity_check") as { integrity_check: string }[];
    const integrity = rows.map((r) => r.integrity_check).join("; ");
    const depth = { alert: 0, event: 0, telemetry: 0 } as Record<Lane, number>;
    const lanes = db
      .prepare("SELECT lane, COUNT(*) AS n FROM messages WHERE delivered = 0 GROUP BY lane")
      .all() as { lane: number; n: number }[];
    for (const r of lanes) {
      const lane = LANES[r.lane];
      if (lane) depth[lane] = r.n;
    }
    const oldest = db.prepare("SELECT MIN(wall_ms) AS w FROM messages WHERE delivered = 0").get() as {
      w: number | null;
    };
    const pages = db.pragma("page_count", { simple: true }) as number;
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    return {
      integrity,
      depth,
      oldestUndeliveredMs: oldest.w ?? undefined,
      sizeBytes: pages * pageSize,
    };
  } catch (e) {
    throw inUse(e) ? inUseError(path, e) : e;
  } finally {
    db.close();
  }
}
