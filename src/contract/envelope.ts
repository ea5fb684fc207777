import { ErrorCode, HearthError } from "../core/errors.js";
import {
  BODY_SCHEMAS,
  type BodyOf,
  CONTRACT_VERSION,
  ENVELOPE_SCHEMAS,
  type Envelope,
  type MessageType,
} from "./messages.js";
import type { StoredType } from "./stored.js";
import { restampBody } from "./timestamps.js";

/**
 * The one place envelopes are made: the outbox (stored messages), the uplink (status, reply) and the
 * test outbox all build them here, so that field order, the clock flag and re-stamping cannot drift
 * apart between writers.
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
 * An envelope checked whole against the contract (defaults of the body filled in). Throws `Internal`:
 * a message that breaks the contract is a bug in whoever made it.
 */
export function checkedEnvelope<T extends MessageType>(
  type: T,
  body: BodyOf[T],
  h: EnvelopeHeader,
): Envelope<T> {
  const parsed = ENVELOPE_SCHEMAS[type].safeParse(buildEnvelope(type, body, h));
  if (!parsed.success)
    throw new HearthError(`Invalid ${type} envelope`, ErrorCode.Internal, {
      type,
      issues: issuesOf(parsed.error.issues),
    });
  return parsed.data as unknown as Envelope<T>;
}

/**
 * A body to store, checked against the contract (defaults filled in). Throws `Internal`: a body that
 * breaks the contract is a bug in the caller, and failing loudly keeps it out of the outbox.
 */
export function checkedBody<T extends StoredType>(type: T, body: unknown): BodyOf[T] {
  const parsed = BODY_SCHEMAS[type].safeParse(body);
  if (!parsed.success)
    throw new HearthError(`Invalid ${type} body for the outbox`, ErrorCode.Internal, {
      type,
      issues: issuesOf(parsed.error.issues),
    });
  return parsed.data as BodyOf[T];
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

function issuesOf(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => `${i.path.map(String).join(".")}: ${i.message}`);
}
