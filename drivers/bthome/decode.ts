import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { decodeBthome } from "./codec.js";
import { keyFromHex } from "./encryption.js";
import type { BthomeEvent, BthomeObject } from "./frame.js";

/**
 * An object as `hearth decode` shows it: `key` tells apart several objects of one kind in one advert
 * as Home Assistant's BTHome integration names them ("temperature" alone; "temperature_1",
 * "temperature_2" when there are two, counted in the advert's order whatever their object ids); a
 * timestamp (0x50) also as ISO time.
 */
export type DecodedObject = BthomeObject & { key: string; iso?: string };

/** An event with its key ("button", or "button_2" on a multi-button device) and numeric id. */
export interface DecodedEvent {
  key: string;
  id: number;
  name: BthomeEvent["name"];
  event: string;
  event_id: number;
  index: number;
  steps?: number;
}

/** What `hearth decode bthome <hex>` prints. */
export interface DecodedAdvert {
  version: 2;
  encrypted: boolean;
  trigger_based: boolean;
  mac?: string;
  packet_id?: number;
  counter?: number;
  objects: DecodedObject[];
  events: DecodedEvent[];
  notes: string[];
}

const keyOf = (name: string, index: number, count: number) => (count > 1 ? `${name}_${index}` : name);

function objectsOf(
  objects: readonly BthomeObject[],
  counts: Readonly<Record<string, number>>,
): DecodedObject[] {
  const seen = new Map<string, number>();
  return objects.map((o) => {
    const index = (seen.get(o.name) ?? 0) + 1;
    seen.set(o.name, index);
    const out: DecodedObject = { ...o, key: keyOf(o.name, index, counts[o.name] ?? 1) };
    if (o.name === "timestamp" && typeof o.value === "number")
      out.iso = new Date(o.value * 1000).toISOString().replace(".000Z", "Z");
    return out;
  });
}

function eventsOf(events: readonly BthomeEvent[], counts: Readonly<Record<string, number>>): DecodedEvent[] {
  return events.map((e) => ({
    key: keyOf(e.name, e.index, counts[e.name] ?? 1),
    id: e.id,
    name: e.name,
    event: e.event,
    event_id: e.code,
    index: e.index,
    ...(e.steps !== undefined ? { steps: e.steps } : {}),
  }));
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
  if (key && !frame.info.encrypted)
    // As the agent does for a device with a bind key: a plain advert may be forged, so it is refused.
    throw new HearthError(
      "unencrypted BTHome advert, but --key was given: a device with a bind key sends encrypted adverts, so this one is refused (the agent refuses it too)",
      ErrorCode.FrameDecrypt,
      { encrypted: false },
    );
  return {
    version: 2,
    encrypted: frame.info.encrypted,
    trigger_based: frame.info.triggerBased,
    ...(frame.mac !== undefined ? { mac: frame.mac } : {}),
    ...(frame.packetId !== undefined ? { packet_id: frame.packetId } : {}),
    ...(frame.counter !== undefined ? { counter: frame.counter } : {}),
    objects: objectsOf(frame.objects, frame.counts),
    events: eventsOf(frame.events, frame.counts),
    notes: frame.notes,
  };
}
