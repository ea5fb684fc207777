/**
 * BTHome v2 encryption (https://bthome.io/encryption): AES-128-CCM with a 4-byte MIC and no associated
 * data; nonce = MAC (6 bytes, as written) + UUID d2 fc + device information byte + counter (uint32 LE).
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { ErrorCode, HearthError } from "../../src/core/errors.js";

/**
 * 32 hex characters → 16-byte key. A bad key is refused by its length alone: a key with one typo is
 * mostly the real one, so no part of it goes into the error (nor from there into the journal).
 */
export function keyFromHex(key: string): Uint8Array {
  if (typeof key !== "string" || !/^[0-9a-fA-F]{32}$/.test(key)) {
    const length = typeof key === "string" ? key.length : 0;
    throw new HearthError(
      `Bad BTHome bind key: ${typeof key === "string" ? `${length} characters` : `a ${typeof key}`}, not 32 hex characters (16 bytes); the key is not shown`,
      ErrorCode.Usage,
      { length },
    );
  }
  return Uint8Array.from(Buffer.from(key, "hex"));
}

function nonce(mac: Uint8Array, infoByte: number, counter: Uint8Array): Buffer {
  return Buffer.concat([mac, Uint8Array.of(0xd2, 0xfc, infoByte), counter]);
}

/** Decrypts and authenticates the objects of an encrypted frame; FrameDecrypt when that fails. */
export function decryptPayload(
  ciphertext: Uint8Array,
  mic: Uint8Array,
  key: Uint8Array,
  mac: Uint8Array,
  infoByte: number,
  counter: Uint8Array,
): Uint8Array {
  if (key.length !== 16) {
    throw new HearthError(`bind key must be 16 bytes, got ${key.length}`, ErrorCode.FrameDecrypt, {
      protocol: "bthome",
      offset: 0,
    });
  }
  try {
    const d = createDecipheriv("aes-128-ccm", key, nonce(mac, infoByte, counter), { authTagLength: 4 });
    d.setAuthTag(mic);
    d.setAAD(Buffer.alloc(0), { plaintextLength: ciphertext.length });
    const out = d.update(ciphertext);
    d.final();
    return out;
  } catch (e) {
    throw new HearthError(
      "BTHome frame failed authentication (wrong bind key, wrong MAC, or tampered bytes)",
      ErrorCode.FrameDecrypt,
      { protocol: "bthome", offset: 0 },
      { cause: e },
    );
  }
}

/** Encrypts the objects of a frame; returns the ciphertext and its MIC. */
export function encryptPayload(
  payload: Uint8Array,
  key: Uint8Array,
  mac: Uint8Array,
  infoByte: number,
  counter: Uint8Array,
): { ciphertext: Buffer; mic: Buffer } {
  if (key.length !== 16) {
    throw new HearthError(
      `encodeServiceData: bind key must be 16 bytes, got ${key.length}`,
      ErrorCode.ValueOutOfRange,
    );
  }
  const c = createCipheriv("aes-128-ccm", key, nonce(mac, infoByte, counter), { authTagLength: 4 });
  c.setAAD(Buffer.alloc(0), { plaintextLength: payload.length });
  const ciphertext = Buffer.concat([c.update(payload), c.final()]);
  return { ciphertext, mic: c.getAuthTag() };
}
