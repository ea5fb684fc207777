import Database from "better-sqlite3";
import { LANES, type Lane } from "../contract/stored.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { inUse, inUseError, TOOL_BUSY_MS } from "./db.js";
import { IS_PENDING } from "./rows.js";

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
 * The condition for a pending `messages` row aliased `m` in a file opened read-only, which no agent may
 * have migrated yet: the `pending` table from schema 4, the row's column before it (schema.ts).
 */
export function pendingWhere(db: Database.Database): string {
  const v4 = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pending'").get();
  return v4 ? IS_PENDING : "m.delivered = 0";
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
    const pending = pendingWhere(db);
    const lanes = db
      .prepare(`SELECT m.lane, COUNT(*) AS n FROM messages m WHERE ${pending} GROUP BY m.lane`)
      .all() as { lane: number; n: number }[];
    for (const r of lanes) {
      const lane = LANES[r.lane];
      if (lane) depth[lane] = r.n;
    }
    const oldest = db.prepare(`SELECT MIN(m.wall_ms) AS w FROM messages m WHERE ${pending}`).get() as {
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
