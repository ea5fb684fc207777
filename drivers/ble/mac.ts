/**
 * Bluetooth device addresses. Config files, BlueZ and installers write them in several ways; every
 * comparison goes through `normalizeMac`, so a button configured as "aa-bb-…" is the one BlueZ reports
 * as "AA:BB:…".
 */
import { ErrorCode, HearthError } from "../../src/core/errors.js";

/** "AA:BB:CC:DD:EE:FF", "aa-bb-…" or "aabbccddeeff" → 6 bytes. */
export function macToBytes(mac: string): Uint8Array {
  const hex = mac.replace(/[:-]/g, "");
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) {
    throw new HearthError(`Bad MAC address ${JSON.stringify(mac)}: expected 6 hex bytes`, ErrorCode.Usage, {
      mac,
    });
  }
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

export function normalizeMac(mac: string): string {
  return formatMac(macToBytes(mac));
}
