import {
  CONTRACT_VERSION,
  ENVELOPE_SCHEMAS,
  type Envelope,
  type ReplyBody,
  type StatusBody,
} from "../contract/messages.js";
import { isoWithOffset } from "../contract/timestamps.js";
import type { Clock } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";

export interface StampContext {
  home: string;
  timeZone: string;
  clock: Clock;
  ids: IdSource;
  /** The latest seq of the outbox: status and reply carry it, they are not stored. */
  lastSeq: () => number;
}

/** A status or reply envelope, stamped now with a fresh id; throws when it breaks the contract. */
export function stamp<T extends "status" | "reply">(
  ctx: StampContext,
  type: T,
  body: T extends "status" ? StatusBody : ReplyBody,
): Envelope<T> {
  const env = {
    v: CONTRACT_VERSION,
    id: ctx.ids.next("msg"),
    home: ctx.home,
    seq: ctx.lastSeq(),
    ts: isoWithOffset(ctx.clock.wallMs(), ctx.timeZone),
    clock: ctx.clock.wallSynced() ? "synced" : "unsynced",
    type,
    body,
  };
  return ENVELOPE_SCHEMAS[type].parse(env) as unknown as Envelope<T>;
}

/** The command id of a raw payload when it has one, so that even a broken command gets a traceable reply. */
export function commandIdOf(payload: Buffer): string {
  try {
    const parsed: unknown = JSON.parse(payload.toString("utf8"));
    if (parsed !== null && typeof parsed === "object" && "id" in parsed && typeof parsed.id === "string")
      return parsed.id.slice(0, 64);
  } catch {
    // Not JSON: no id to echo.
  }
  return "unknown";
}
