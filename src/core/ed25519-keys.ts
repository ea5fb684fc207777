import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { ErrorCode, HearthError } from "./errors.js";

const NOT_A_KEY = "not an Ed25519 public key (PEM, or its 32 bytes in base64)";

/**
 * An Ed25519 public key from config text: PEM (`-----BEGIN PUBLIC KEY-----`, SPKI) or the 32 raw key
 * bytes in base64 / base64url. The error never repeats the text (it is not secret, but it is long).
 */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  // createPublicKey would take a private key and derive its public half: a signing key pasted into a
  // gateway's config must be refused, not quietly used.
  if (/PRIVATE KEY/.test(t))
    throw new HearthError(
      "a private key: the gateway takes the cloud's public key only (the .pub file of hearth keygen)",
      ErrorCode.ConfigInvalid,
    );
  try {
    const key = t.startsWith("-----BEGIN")
      ? createPublicKey(t)
      : createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: rawBase64url(t) }, format: "jwk" });
    if (key.asymmetricKeyType !== "ed25519")
      throw new HearthError(`a ${String(key.asymmetricKeyType)} key, not Ed25519`, ErrorCode.ConfigInvalid);
    return key;
  } catch (e) {
    if (e instanceof HearthError) throw e;
    throw new HearthError(NOT_A_KEY, ErrorCode.ConfigInvalid, {}, { cause: e });
  }
}

/** An Ed25519 private key from PEM (PKCS#8), as `hearth keygen` writes it. */
export function parsePrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    throw new HearthError("not a private key in PEM (PKCS#8)", ErrorCode.ConfigInvalid, {}, { cause: e });
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new HearthError(`a ${String(key.asymmetricKeyType)} key, not Ed25519`, ErrorCode.ConfigInvalid);
  return key;
}

/** The 32 raw bytes of an Ed25519 public key in base64: the short form for a config file. */
export function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  return Buffer.from(String(jwk.x), "base64url").toString("base64");
}

function rawBase64url(text: string): string {
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) throw new HearthError(NOT_A_KEY, ErrorCode.ConfigInvalid);
  const bytes = Buffer.from(text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=$/, ""), "base64url");
  if (bytes.length !== 32) throw new HearthError(NOT_A_KEY, ErrorCode.ConfigInvalid);
  return bytes.toString("base64url");
}
