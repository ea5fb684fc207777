import type { Database } from "better-sqlite3";
import { LANES, type Lane, type LaneSeqs } from "../contract/stored.js";

/** The counters every write moves: kept in memory, read back from the file when it is opened. */
export interface Ledger {
  /** The highest seq ever assigned (never reused, even after deletes). */
  lastSeq: number;
  /** The highest lane_seq ever assigned per lane (never reused); take the next with `takeLaneSeq`. */
  laneSeq: LaneSeqs;
  /** Accounted bytes of the stored rows (see ROW_OVERHEAD). */
  size: number;
}

export function emptyLedger(): Ledger {
  return { lastSeq: 0, laneSeq: { alert: 0, event: 0, telemetry: 0 }, size: 0 };
}

/** The `meta` key of a lane's counter. */
export function laneSeqKey(lane: Lane): string {
  return `lane_seq.${lane}`;
}

/**
 * The counters of an open, migrated file. The meta rows are the truth (they survive deletes); the
 * rows' own maximum backs up `seq` for files written before the meta row existed.
 */
export function readLedger(db: Database): Ledger {
  const meta = db.prepare("SELECT value FROM meta WHERE key = ?");
  const metaNumber = (key: string) => Number((meta.get(key) as { value: string } | undefined)?.value ?? 0);
  const max = db.prepare("SELECT COALESCE(MAX(seq), 0) AS m FROM messages").get() as { m: number };
  const size = db.prepare("SELECT COALESCE(SUM(bytes), 0) AS s FROM messages").get() as { s: number };
  const laneSeq = emptyLedger().laneSeq;
  for (const lane of LANES) laneSeq[lane] = metaNumber(laneSeqKey(lane));
  return { lastSeq: Math.max(metaNumber("seq"), max.m), laneSeq, size: size.s };
}
