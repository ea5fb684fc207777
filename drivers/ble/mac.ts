/**
 * Bluetooth device addresses. Config files, BlueZ and installers write them in several ways; every
 * comparison goes through `normalizeMac`, so a button configured as "aa-bb-…" is the one BlueZ reports
 * as "AA:BB:…".
 */
import { ErrorCode, HearthError } from "../../src/core/errors.js";

/** Upper-case hex of every byte value, so that formatting an address allocates only its string. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0").toUpperCase());

/**
 * Addresses already parsed: a receiver decodes every advert of its few devices with the same address
 * string (a press, a fifth of its time before the commit went on parsing and formatting it). Bounded:
 * a scan of strangers' adverts must not grow it.
 */
const PARSED = new Map<string, Uint8Array>();
const PARSED_MAX = 256;

/** "AA:BB:CC:DD:EE:FF", "aa-bb-…" or "aabbccddeeff" → 6 bytes (a fresh array the caller may change). */
export function macToBytes(mac: string): Uint8Array {
  const known = PARSED.get(mac);
  if (known) return known.slice();
  const hex = mac.replace(/[:-]/g, "");
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) {
    throw new HearthError(`Bad MAC address ${JSON.stringify(mac)}: expected 6 hex bytes`, ErrorCode.Usage, {
      mac,
    });
  }
  const bytes = Uint8Array.from(Buffer.from(hex, "hex"));
  if (PARSED.size >= PARSED_MAX) PARSED.clear();
  PARSED.set(mac, bytes.slice());
  return bytes;
}

export function formatMac(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++)
    out += i === 0 ? HEX[bytes[i] as number] : `:${HEX[bytes[i] as number]}`;
  return out;
}

export function normalizeMac(mac: string): string {
  return formatMac(macToBytes(mac));
}
