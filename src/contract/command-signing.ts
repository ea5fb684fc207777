import { type KeyObject, sign, verify } from "node:crypto";
import { ErrorCode, HearthError } from "../core/errors.js";

/**
 * How a command is signed (docs/contract.md, "Signed commands"): Ed25519 over the UTF-8 bytes of
 *
 *     <topic> "\n" <RFC 8785 (JCS) canonical JSON of the command without its "sig" member>
 *
 * The topic is inside the signature so a signed `ack` for one home cannot be replayed to another home,
 * nor its body moved to another command name. `sig` is the 64-byte signature, base64url without padding.
 */
export const SIGNATURE_FIELD = "sig";
/** 64 bytes in base64url without padding. */
export const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/;

/**
 * RFC 8785 JSON Canonicalization Scheme. For the values JSON.parse produces it is exactly: keys sorted
 * by UTF-16 code units (JavaScript's default string order), no whitespace, strings and numbers as
 * ECMAScript's JSON.stringify writes them (RFC 8785 §3.2.2 adopts that serialization).
 */
/** Deeper than any command (their bodies are flat); a 64 KiB packet of `[` must not exhaust the stack. */
const MAX_DEPTH = 32;

export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH)
    throw new HearthError(`JSON nested deeper than ${MAX_DEPTH} levels`, ErrorCode.CommandInvalid);
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw new HearthError("a number that JSON cannot hold (Infinity or NaN)", ErrorCode.CommandInvalid);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(",")}]`;
  if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k], depth + 1)}`).join(",")}}`;
  }
  throw new HearthError(`a ${typeof value} has no JSON form`, ErrorCode.CommandInvalid);
}

/** The bytes a command's signature covers: its topic, a newline, and the command without `sig`, canonical. */
export function signedBytes(topic: string, command: Readonly<Record<string, unknown>>): Buffer {
  const { [SIGNATURE_FIELD]: _sig, ...rest } = command;
  return Buffer.from(`${topic}\n${canonicalJson(rest)}`, "utf8");
}

/** The command with its `sig` set: what the cloud publishes on `topic`. */
export function signCommand<T extends Record<string, unknown>>(
  topic: string,
  command: T,
  privateKey: KeyObject,
): T & { sig: string } {
  const sig = sign(null, signedBytes(topic, command), privateKey).toString("base64url");
  return { ...command, [SIGNATURE_FIELD]: sig } as T & { sig: string };
}

/** Whether `command.sig` is a valid signature of it on `topic` by any of `keys` (a rotation may list two). */
export function verifyCommand(
  topic: string,
  command: Readonly<Record<string, unknown>>,
  keys: readonly KeyObject[],
): boolean {
  const sig = command[SIGNATURE_FIELD];
  if (typeof sig !== "string" || !SIGNATURE_PATTERN.test(sig)) return false;
  const bytes = signedBytes(topic, command);
  const raw = Buffer.from(sig, "base64url");
  return keys.some((k) => verify(null, bytes, k, raw));
}
