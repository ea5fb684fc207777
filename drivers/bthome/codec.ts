/**
 * BTHome v2 codec: pure, bytes in, typed value or HearthError (Frame*) out. Service data (the bytes after
 * UUID 0xFCD2, https://bthome.io/format) = device information byte, then
 *   unencrypted: objects (id, value)…
 *   encrypted:   ciphertext of the objects, counter (uint32 LE), MIC (4 bytes) (see ./encryption.ts).
 * The objects' sizes, scales and units are the table in ./objects.ts; this file reads and writes them.
 */
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { formatMac, macToBytes } from "../ble/mac.js";
import { hex2 } from "../common/hex.js";
import { findServiceData, looksLikeAdvertisingPayload } from "./advertising.js";
import { decryptPayload, encryptPayload } from "./encryption.js";
import {
  type BthomeFrame,
  type DecodedPayload,
  deviceInfoByte,
  frameError,
  parseDeviceInfo,
} from "./frame.js";
import { BUTTON_EVENT_CODES, DIMMER_EVENT_CODES, OBJECTS, type ObjectSpec } from "./objects.js";

/** Pre-spec "button hold" code of early Shelly BLU firmware; the spec's code is 0x80. */
const SHELLY_OLD_HOLD = 0xfe;

function readUint(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let k = n - 1; k >= 0; k--) v = v * 256 + (b[at + k] as number);
  return v;
}

function readInt(b: Uint8Array, at: number, n: number): number {
  const u = readUint(b, at, n);
  const top = 2 ** (8 * n);
  return u >= top / 2 ? u - top : u;
}

/** Decimal places of a scaling factor (0.01 → 2, 0.35 → 2), so 2506 × 0.01 is 25.06, not 25.060000000000002. */
function decimals(factor: number): number {
  const s = String(factor);
  const dot = s.indexOf(".");
  return dot < 0 ? 0 : s.length - dot - 1;
}

function scale(raw: number, factor: number): number {
  if (factor === 1) return raw;
  return Number((raw * factor).toFixed(decimals(factor)));
}

/**
 * Decodes the (decrypted) object list. An unknown object id stops decoding: its length is unknown, so
 * nothing after it can be read (spec); what came before is returned with a note. A value cut short is
 * a FrameTruncated error naming the object and the byte offset (`base` shifts offsets to the frame).
 */
export function decodeObjects(p: Uint8Array, base = 0): DecodedPayload {
  const out: DecodedPayload = { objects: [], events: [], notes: [], counts: {} };
  const seen = new Map<number, number>();
  let prevId = -1;
  let i = 0;
  while (i < p.length) {
    const id = p[i] as number;
    const spec: ObjectSpec | undefined = OBJECTS.get(id);
    if (!spec) {
      out.notes.push(
        `unknown object id 0x${hex2(id, "lower")} at byte ${base + i}: stopped, ${p.length - i} byte(s) not decoded`,
      );
      break;
    }
    if (id < prevId) {
      out.notes.push(`object 0x${hex2(id, "lower")} at byte ${base + i} is out of numerical order`);
    }
    prevId = id;
    let at = i + 1;
    let len = spec.length;
    if (spec.kind === "text" || spec.kind === "raw") {
      if (at >= p.length) {
        throw frameError(
          `${spec.name} (0x${hex2(id, "lower")}) at byte ${base + i} has no length byte`,
          ErrorCode.FrameTruncated,
          base + at,
          { object: id, offsetInMessage: true },
        );
      }
      len = p[at] as number;
      at += 1;
    }
    if (at + len > p.length) {
      throw frameError(
        `${spec.name} (0x${hex2(id, "lower")}) at byte ${base + i} needs ${len} byte(s), only ${p.length - at} left`,
        ErrorCode.FrameTruncated,
        base + at,
        { object: id, offsetInMessage: true },
      );
    }
    const index = (seen.get(id) ?? 0) + 1;
    seen.set(id, index);
    if (spec.kind !== "packet_id") out.counts[spec.name] = (out.counts[spec.name] ?? 0) + 1;
    const value = decodeValue(spec, p, at, len, base);
    if (spec.kind === "packet_id") {
      out.packetId = value as number;
    } else if (spec.kind === "button") {
      const code = p[at] as number;
      const event = BUTTON_EVENT_CODES.get(code);
      if (event) out.events.push({ id, name: "button", event, code, index });
      else if (code === SHELLY_OLD_HOLD) {
        // Shelly BLU firmware before 1.0.20 sent 0xFE for "hold" (shelly-api-docs docs-ble/Devices/dw).
        // A held call button must not be dropped, so it is read as hold_press, with a note.
        out.events.push({ id, name: "button", event: "hold_press", code, index });
        out.notes.push(`button event 0xfe at byte ${base + at} read as hold_press (old Shelly firmware)`);
      } else if (code !== 0)
        out.notes.push(`unknown button event 0x${hex2(code, "lower")} at byte ${base + at}`);
    } else if (spec.kind === "dimmer") {
      const code = p[at] as number;
      const event = DIMMER_EVENT_CODES.get(code);
      if (event) out.events.push({ id, name: "dimmer", event, code, index, steps: p[at + 1] as number });
      else if (code !== 0)
        out.notes.push(`unknown dimmer event 0x${hex2(code, "lower")} at byte ${base + at}`);
    } else {
      out.objects.push({ id, name: spec.name, value, unit: spec.unit });
    }
    i = at + len;
  }
  return out;
}

function decodeValue(spec: ObjectSpec, p: Uint8Array, at: number, len: number, base: number) {
  switch (spec.kind) {
    case "binary":
      return (p[at] as number) !== 0;
    case "text": {
      try {
        return new TextDecoder("utf-8", { fatal: true }).decode(p.subarray(at, at + len));
      } catch {
        throw frameError(
          `text (0x53) at byte ${base + at - 2} is not valid UTF-8`,
          ErrorCode.FrameMalformed,
          base + at,
          { object: spec.id, offsetInMessage: true },
        );
      }
    }
    case "raw":
      return Buffer.from(p.subarray(at, at + len)).toString("hex");
    case "firmware":
      // Stored little endian: F1 00 01 02 04 is version 4.2.1.0.
      return Array.from(p.subarray(at, at + len))
        .reverse()
        .join(".");
    case "packet_id":
    case "sensor":
    case "timestamp":
    case "device_type":
    case "button":
    case "dimmer": {
      const raw = spec.signed ? readInt(p, at, len) : readUint(p, at, len);
      return scale(raw, spec.factor);
    }
  }
}

export interface DecodeOptions {
  /** Device MAC (needed to decrypt when the frame does not carry it). */
  mac?: string;
  /** 16-byte bind key; without it an encrypted frame is refused. */
  key?: Uint8Array;
}

/** Decodes BTHome service data (the bytes after the UUID, starting at the device-information byte). */
export function decodeServiceData(sd: Uint8Array, options: DecodeOptions = {}): BthomeFrame {
  if (sd.length < 1) throw frameError("BTHome service data is empty", ErrorCode.FrameTruncated, 0);
  const info = parseDeviceInfo(sd[0] as number);
  if (info.version !== 2) {
    throw frameError(
      `BTHome version ${info.version} in device information byte 0x${hex2(sd[0] as number, "lower")}: only v2 is accepted`,
      ErrorCode.FrameUnsupported,
      0,
      { version: info.version, offsetInMessage: true },
    );
  }
  let at = 1;
  let mac = options.mac !== undefined ? macToBytes(options.mac) : undefined;
  if (info.macIncluded) {
    if (sd.length < 7) {
      throw frameError("MAC-included flag set but fewer than 6 bytes follow", ErrorCode.FrameTruncated, 1);
    }
    mac = Uint8Array.from(sd.subarray(1, 7)).reverse();
    at = 7;
  }
  if (!info.encrypted) {
    const decoded = decodeObjects(sd.subarray(at), at);
    return { info, ...(mac ? { mac: formatMac(mac) } : {}), ...decoded };
  }
  if (sd.length - at < 8) {
    throw frameError(
      `encrypted BTHome frame needs counter and MIC (8 bytes) after byte ${at}, has ${sd.length - at}`,
      ErrorCode.FrameTruncated,
      at,
      { offsetInMessage: true },
    );
  }
  const counterBytes = sd.subarray(sd.length - 8, sd.length - 4);
  const counter = readUint(counterBytes, 0, 4);
  if (!options.key) {
    throw frameError("encrypted BTHome frame and no bind key for this device", ErrorCode.FrameDecrypt, 0, {
      counter,
    });
  }
  if (!mac) {
    throw frameError(
      "encrypted BTHome frame: the device MAC is needed to decrypt",
      ErrorCode.FrameDecrypt,
      0,
    );
  }
  const plain = decryptPayload(
    sd.subarray(at, sd.length - 8),
    sd.subarray(sd.length - 4),
    options.key,
    mac,
    sd[0] as number,
    counterBytes,
  );
  const decoded = decodeObjects(plain, at);
  return { info, mac: formatMac(mac), counter, ...decoded };
}

/** Decodes service data or a whole advertising payload (detected by its AD structure). */
export function decodeBthome(bytes: Uint8Array, options: DecodeOptions = {}): BthomeFrame {
  const sd = looksLikeAdvertisingPayload(bytes) ? findServiceData(bytes) : bytes;
  if (sd === undefined) {
    throw frameError(
      "no BTHome service data (AD type 0x16, UUID 0xFCD2) in the advertisement",
      ErrorCode.FrameUnexpected,
      0,
    );
  }
  return decodeServiceData(sd, options);
}

// ---------------------------------------------------------------------------------------------------
// Encoding (the simulator speaks real bytes).

export type EncodableObject =
  | { id: number; value: number | boolean }
  | { id: 0x53; value: string }
  | { id: 0x54; value: Uint8Array };

/** Encodes objects in the order given (callers keep the spec's numerical order). */
export function encodeObjects(objects: readonly EncodableObject[]): Uint8Array {
  const parts: number[] = [];
  for (const o of objects) {
    const spec = OBJECTS.get(o.id);
    if (!spec) throw encodeError(`encodeObjects: unknown object id 0x${hex2(o.id, "lower")}`);
    parts.push(o.id);
    if (spec.kind === "text" || spec.kind === "raw") {
      const bytes = typeof o.value === "string" ? new TextEncoder().encode(o.value) : (o.value as Uint8Array);
      if (bytes.length > 255) throw encodeError("encodeObjects: text/raw longer than 255 bytes");
      parts.push(bytes.length, ...bytes);
      continue;
    }
    const v = o.value;
    if (typeof v !== "number" && typeof v !== "boolean") {
      throw encodeError(`encodeObjects: object 0x${hex2(o.id, "lower")} needs a number, got ${typeof v}`);
    }
    let raw = typeof v === "boolean" ? (v ? 1 : 0) : Math.round(v / spec.factor);
    const span = 2 ** (8 * spec.length);
    const [lo, hi] = spec.signed ? [-span / 2, span / 2 - 1] : [0, span - 1];
    if (raw < lo || raw > hi) {
      throw encodeError(
        `encodeObjects: ${spec.name} (0x${hex2(o.id, "lower")}) value ${String(v)} out of range`,
      );
    }
    if (raw < 0) raw += span;
    for (let k = 0; k < spec.length; k++) {
      parts.push(raw % 256);
      raw = Math.floor(raw / 256);
    }
  }
  return Uint8Array.from(parts);
}

export interface EncodeOptions {
  triggerBased?: boolean;
  /** Encrypt with this bind key; needs `mac` and `counter`. */
  key?: Uint8Array;
  mac?: string;
  counter?: number;
}

/** Builds service data (device information byte + objects, encrypted when a key is given). */
export function encodeServiceData(payload: Uint8Array, options: EncodeOptions = {}): Uint8Array {
  const encrypted = options.key !== undefined;
  const info = deviceInfoByte({ encrypted, macIncluded: false, triggerBased: options.triggerBased ?? false });
  if (!options.key) return Uint8Array.from([info, ...payload]);
  if (options.mac === undefined || options.counter === undefined) {
    throw encodeError("encodeServiceData: encryption needs mac and counter");
  }
  if (!Number.isInteger(options.counter) || options.counter < 0 || options.counter > 0xffffffff) {
    throw encodeError(`encodeServiceData: counter ${options.counter} is not a uint32`);
  }
  const counter = Buffer.alloc(4);
  counter.writeUInt32LE(options.counter);
  const { ciphertext, mic } = encryptPayload(payload, options.key, macToBytes(options.mac), info, counter);
  return Uint8Array.from(Buffer.concat([Uint8Array.of(info), ciphertext, counter, mic]));
}

function encodeError(message: string): HearthError {
  return new HearthError(message, ErrorCode.ValueOutOfRange);
}
