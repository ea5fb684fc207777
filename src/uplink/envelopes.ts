import { checkedEnvelope } from "../contract/envelope.js";
import type { Envelope, ReplyBody, StatusBody } from "../contract/messages.js";
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
  return checkedEnvelope<T>(type, body as Envelope<T>["body"], {
    id: ctx.ids.next("msg"),
    home: ctx.home,
    seq: ctx.lastSeq(),
    ts: isoWithOffset(ctx.clock.wallMs(), ctx.timeZone),
    synced: ctx.clock.wallSynced(),
  });
}
