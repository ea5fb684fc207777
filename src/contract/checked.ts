import { ErrorCode, HearthError } from "../core/errors.js";
import { buildEnvelope, type EnvelopeHeader } from "./envelope.js";
import { BODY_SCHEMAS, type BodyOf, ENVELOPE_SCHEMAS, type Envelope, type MessageType } from "./messages.js";
import type { StoredType } from "./stored.js";

/**
 * Envelopes and bodies checked against the contract's zod schemas. The agent does not use these (it
 * checks what it writes with the plain code of shape.ts, so that it never loads zod); the test outbox
 * and the tests do, so every envelope a test makes is held to the full contract.
 */

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

function issuesOf(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => `${i.path.map(String).join(".")}: ${i.message}`);
}
