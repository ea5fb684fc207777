import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { decodeBthome } from "./codec.js";
import { keyFromHex } from "./encryption.js";
import type { BthomeEvent, BthomeObject } from "./frame.js";

/** What `hearth decode bthome <hex>` prints. */
export interface DecodedAdvert {
  version: 2;
  encrypted: boolean;
  trigger_based: boolean;
  mac?: string;
  packet_id?: number;
  counter?: number;
  objects: BthomeObject[];
  events: BthomeEvent[];
  notes: string[];
}

export interface DecodeAdvertOptions {
  /** MAC with or without colons; needed for encrypted adverts that do not carry it. */
  mac?: string;
  /** Bind key, 32 hex characters. */
  key?: string;
}

/**
 * Decodes a BTHome v2 advert given as hex: either the service data after the UUID (starting at the
 * device-information byte) or a whole advertising payload. Spaces, colons and a 0x prefix are allowed.
 * Throws HearthError: Usage for bad hex, Frame* for bad bytes (FrameDecrypt for a missing or wrong key).
 */
export function decodeBthomeAdvert(hex: string, options: DecodeAdvertOptions = {}): DecodedAdvert {
  const clean = hex.replace(/^0x/i, "").replace(/[\s:,-]/g, "");
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) {
    throw new HearthError(
      `Not a hex byte string: ${JSON.stringify(hex.slice(0, 80))} (expected pairs of hex digits)`,
      ErrorCode.Usage,
    );
  }
  const key = options.key !== undefined ? keyFromHex(options.key) : undefined;
  const frame = decodeBthome(Uint8Array.from(Buffer.from(clean, "hex")), {
    ...(options.mac !== undefined ? { mac: options.mac } : {}),
    ...(key ? { key } : {}),
  });
  return {
    version: 2,
    encrypted: frame.info.encrypted,
    trigger_based: frame.info.triggerBased,
    ...(frame.mac !== undefined ? { mac: frame.mac } : {}),
    ...(frame.packetId !== undefined ? { packet_id: frame.packetId } : {}),
    ...(frame.counter !== undefined ? { counter: frame.counter } : {}),
    objects: frame.objects,
    events: frame.events,
    notes: frame.notes,
  };
}
