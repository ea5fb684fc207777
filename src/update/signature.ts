import { createHash, type KeyObject, sign, verify } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { parsePublicKey } from "../core/ed25519-keys.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";

/**
 * A release's signature (docs/decisions/privilege-boundary.md, shared with the release build): the
 * detached `<tarball>.sig` holds base64 of the raw 64-byte Ed25519 signature over the tarball's bytes.
 * Signed with the release key, never the command key: a stolen command key must not install code.
 */
const SIG_TEXT = /^[A-Za-z0-9+/]{86}==$/;

export function sha256Hex(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function signRelease(tarball: Buffer, key: KeyObject): string {
  return sign(null, tarball, key).toString("base64");
}

/** The signature text of a .sig file or a command: base64 of 64 bytes, whitespace around it ignored. */
export function parseSignature(text: string): Buffer {
  const t = text.trim();
  if (!SIG_TEXT.test(t))
    throw new HearthError(
      "the release signature is not base64 of a 64-byte Ed25519 signature",
      ErrorCode.CommandInvalid,
    );
  return Buffer.from(t, "base64");
}

/** The release key from the config text's `cloud.release_public_key`; refuses when there is none. */
export function releaseKey(text: string | undefined): KeyObject {
  if (text === undefined)
    throw new HearthError(
      "no release key in the config (cloud.release_public_key): updates are refused (hearth provision --release-key installs one)",
      ErrorCode.CommandRefused,
    );
  return parsePublicKey(text);
}

/** Throws unless `signature` is the release key's over exactly these bytes. */
export function verifyRelease(tarball: Buffer, signature: string, key: KeyObject): void {
  if (!verify(null, tarball, key, parseSignature(signature)))
    throw new HearthError(
      "the release signature does not verify with the release key (cloud.release_public_key): nothing changed",
      ErrorCode.CommandBadSignature,
    );
}

/** `hearth release sign --key <pem> <tarball>`: writes <tarball>.sig; returns its path. */
export function signReleaseFile(tarballPath: string, key: KeyObject): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(tarballPath);
  } catch (e) {
    throw new HearthError(`cannot read ${tarballPath}: ${errorMessage(e)}`, ErrorCode.ConfigNotFound);
  }
  const out = `${tarballPath}.sig`;
  writeFileSync(out, `${signRelease(bytes, key)}\n`, { mode: 0o644 });
  return out;
}
