/**
 * Where BTHome sits in a BLE advert: service data (AD type 0x16) for the 16-bit UUID 0xFCD2. A scanner
 * is told the 128-bit form of that UUID; the CLI accepts whole advertising payloads and finds the
 * service data in them.
 */
import { ErrorCode } from "../../src/core/errors.js";
import { frameError } from "./frame.js";

export const BTHOME_UUID16 = 0xfcd2;
/** The service-data UUID a BLE scanner passes on to the BTHome receiver (128-bit, lower case). */
export const BTHOME_UUID = "0000fcd2-0000-1000-8000-00805f9b34fb";
/** Service UUIDs of the legacy v1 format, refused with a clear error. */
const V1_UUIDS = new Set([0x181c, 0x181e]);

/**
 * Finds the BTHome service data in a whole advertising payload (AD structures). Returns the bytes after
 * the UUID, or undefined when the payload holds no 0x16 structure with UUID 0xFCD2.
 */
export function findServiceData(adv: Uint8Array): Uint8Array | undefined {
  let i = 0;
  let found: Uint8Array | undefined;
  let v1 = false;
  while (i < adv.length) {
    const len = adv[i] as number;
    if (len === 0) break; // zero padding ends the significant part
    if (i + 1 + len > adv.length) {
      throw frameError(
        `AD structure at byte ${i} says ${len} bytes, only ${adv.length - i - 1} left`,
        ErrorCode.FrameTruncated,
        i,
        { offsetInMessage: true },
      );
    }
    const type = adv[i + 1] as number;
    if (type === 0x16 && len >= 3) {
      const uuid = (adv[i + 2] as number) | ((adv[i + 3] as number) << 8);
      if (uuid === BTHOME_UUID16 && found === undefined) found = adv.subarray(i + 4, i + 1 + len);
      if (V1_UUIDS.has(uuid)) v1 = true;
    }
    i += 1 + len;
  }
  if (found === undefined && v1) {
    throw frameError(
      "BTHome v1 (UUID 0x181C/0x181E) is legacy and not accepted: set the device to BTHome v2",
      ErrorCode.FrameUnsupported,
      0,
    );
  }
  return found;
}

/**
 * A BTHome v2 device information byte has version bits 010 (0x40–0x5F); an AD structure starts with a
 * length byte and a type. Whole payloads are recognised by walking the AD structures to the exact end and
 * finding a service-data structure among them.
 */
export function looksLikeAdvertisingPayload(b: Uint8Array): boolean {
  let i = 0;
  let sawServiceData = false;
  while (i < b.length) {
    const len = b[i] as number;
    if (len === 0) return sawServiceData && b.subarray(i).every((x) => x === 0);
    if (i + 1 + len > b.length) return false;
    if (b[i + 1] === 0x16) sawServiceData = true;
    i += 1 + len;
  }
  return sawServiceData;
}

/** Wraps service data into a whole advertising payload: flags, optional local name, service data. */
export function encodeAdvertisingPayload(serviceData: Uint8Array, localName?: string): Uint8Array {
  const parts: number[] = [0x02, 0x01, 0x06];
  if (localName) {
    const name = new TextEncoder().encode(localName);
    parts.push(name.length + 1, 0x09, ...name);
  }
  parts.push(serviceData.length + 3, 0x16, 0xd2, 0xfc, ...serviceData);
  return Uint8Array.from(parts);
}
