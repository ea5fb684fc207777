import { buildEnvelope } from "../contract/envelope.js";
import type { Envelope, ReplyBody, StatusBody } from "../contract/messages.js";
import { shapedBody } from "../contract/shape.js";
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

/**
 * A status or reply envelope, stamped now with a fresh id; throws (Internal) when its body breaks the
 * contract (contract/shape.ts: plain code, no zod in the agent). The header is ours alone: the outbox's
 * seq, the configured home, a fresh id, the home's formatter.
 */
export function stamp<T extends "status" | "reply">(
  ctx: StampContext,
  type: T,
  body: T extends "status" ? StatusBody : ReplyBody,
): Envelope<T> {
  return buildEnvelope<T>(type, shapedBody<T>(type, body, "to publish"), {
    id: ctx.ids.next("msg"),
    home: ctx.home,
    seq: ctx.lastSeq(),
    ts: isoWithOffset(ctx.clock.wallMs(), ctx.timeZone),
    synced: ctx.clock.wallSynced(),
  });
}
