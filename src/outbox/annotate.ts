import type { Envelope } from "../contract/messages.js";
import type { Logger } from "../core/log.js";
import type { Ledger, OutboxDb } from "./db.js";
import type { MemoryLane } from "./memory-lane.js";
import { IS_PENDING, rowBytes } from "./rows.js";

/**
 * Adds `key: value` to the evidence of a queued (undelivered) alert message, in the memory lane or on
 * disk, so that it goes out with what happened while it waited (the SMS sent for it). Its id, seq and
 * stamps stay; a message already delivered is left as the cloud has it. Returns whether it changed.
 */
export function annotateQueued(
  at: { db: OutboxDb; ledger: Ledger; lane: MemoryLane; log: Logger },
  seq: number,
  key: string,
  value: unknown,
): boolean {
  try {
    return annotate(at.db, at.ledger, at.lane, seq, key, value);
  } catch (e) {
    // Storage trouble: the record is lost from the message, not the SMS; the caller records it otherwise.
    at.log.error({ err: e, seq }, `Could not add ${key} to the queued alert message ${seq}`);
    return false;
  }
}

function annotate(
  db: OutboxDb,
  ledger: Ledger,
  lane: MemoryLane,
  seq: number,
  key: string,
  value: unknown,
): boolean {
  const held = lane.queued(seq);
  if (held) {
    if (held.type !== "alert") return false;
    const body = held.envelope.body as { evidence: Record<string, unknown> };
    body.evidence = { ...body.evidence, [key]: value };
    return true;
  }
  const row = db
    .stmt(`SELECT m.type, m.bytes, m.envelope FROM messages m WHERE m.seq = ? AND ${IS_PENDING}`)
    .get(seq) as { type: string; bytes: number; envelope: string } | undefined;
  if (row?.type !== "alert") return false;
  const env = JSON.parse(row.envelope) as Envelope<"alert">;
  env.body = { ...env.body, evidence: { ...env.body.evidence, [key]: value } };
  const json = JSON.stringify(env);
  const bytes = rowBytes(json);
  db.alone();
  // Found pending just now, in this same synchronous call.
  const changed = db
    .stmt("UPDATE messages SET envelope = ?, bytes = ? WHERE seq = ?")
    .run(json, bytes, seq).changes;
  if (changed === 0) return false;
  ledger.size += bytes - row.bytes;
  return true;
}
