import type { BodyOf, Envelope, MessageType } from "./messages.js";
import { restampBody } from "./timestamps.js";
import { CONTRACT_VERSION } from "./vocabulary.js";

/**
 * The one place envelopes are made: the outbox (stored messages), the uplink (status, reply) and the
 * test outbox all build them here, so that field order, the clock flag and re-stamping cannot drift
 * apart between writers. No zod here: the agent builds envelopes without loading it (checked.ts has
 * the zod checks, shape.ts the plain one the agent uses).
 */
export interface EnvelopeHeader {
  id: string;
  home: string;
  seq: number;
  /** The message's number in its lane: stored types only (outbox and memory lane); status and reply have none. */
  laneSeq?: number | undefined;
  /** When it was written, with the home's offset (see timestamps.ts). */
  ts: string;
  /** Whether the wall clock was synced when `ts` was taken. */
  synced: boolean;
}

/** An envelope around a body already checked against the contract. */
export function buildEnvelope<T extends MessageType>(
  type: T,
  body: BodyOf[T],
  h: EnvelopeHeader,
): Envelope<T> {
  return {
    v: CONTRACT_VERSION,
    id: h.id,
    home: h.home,
    seq: h.seq,
    ...(h.laneSeq !== undefined ? { lane_seq: h.laneSeq } : {}),
    ts: h.ts,
    clock: h.synced ? "synced" : "unsynced",
    type,
    body,
  };
}

/**
 * A stored envelope after a clock sync: `ts` and every gateway-written time in its body corrected,
 * `clock` synced; id, seq and lane_seq are never changed (the cloud de-duplicates and counts on them).
 */
export function restampEnvelope<T extends MessageType>(
  env: Envelope<T>,
  correctedWallMs: number,
  corrected: (wallMs: number) => number,
  format: (ms: number) => string,
): Envelope<T> {
  return buildEnvelope(env.type, restampBody(env.body, corrected, format), {
    id: env.id,
    home: env.home,
    seq: env.seq,
    laneSeq: env.lane_seq,
    ts: format(correctedWallMs),
    synced: true,
  });
}
