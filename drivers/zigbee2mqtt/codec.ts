/**
 * Zigbee2MQTT payloads to Hearth values: pure functions, no MQTT. Every input is untrusted (any
 * program on the broker can publish under the base topic), so nothing here throws: what cannot be
 * read is said in `notes` and left out, and the rest of the message is kept.
 */
import type { ButtonEvent, Channel } from "../../src/core/channels.js";
import type { ExposeMapping, Zigbee2mqttSpec } from "../../src/profiles/zigbee2mqtt.js";

export interface DecodedState {
  readings: { channel: Channel; value: number }[];
  events: ButtonEvent[];
  /** What was in the message and could not be used: a wrong type, an enum value the profile does not name. */
  notes: string[];
}

export type Json = { ok: true; value: unknown } | { ok: false; error: string };

/** JSON text to a value, or why not. */
export function parseJson(text: string): Json {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const show = (v: unknown): string => {
  const s = typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? "a list" : typeof v;
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function readValue(prop: string, raw: unknown, m: ExposeMapping): number | string | undefined {
  if (raw === null || raw === undefined) return undefined; // Zigbee2MQTT's "not known yet"
  if (typeof raw === "boolean") return raw !== m.invert ? 1 : 0;
  if (typeof raw === "number") return Number.isFinite(raw) ? raw : `${prop}: not a finite number`;
  if (typeof raw === "string") {
    if (m.on.includes(raw)) return 1;
    if (m.off.includes(raw)) return 0;
    if (m.ignore.includes(raw)) return undefined;
    return `${prop}: value ${show(raw)} is not named in the profile (on/off/ignore)`;
  }
  return `${prop}: ${show(raw)} is not a boolean, number or string`;
}

/** One device state message (`<base>/<friendly_name>`), already parsed, through the device's profile. */
export function decodeState(payload: unknown, spec: Zigbee2mqttSpec): DecodedState {
  const out: DecodedState = { readings: [], events: [], notes: [] };
  if (!isRecord(payload)) {
    out.notes.push(`the state is ${show(payload)}, not a JSON object`);
    return out;
  }
  for (const [prop, mapping] of Object.entries(spec.exposes)) {
    if (!Object.hasOwn(payload, prop)) continue;
    const m: ExposeMapping =
      typeof mapping === "string"
        ? { channel: mapping, invert: false, on: [], off: [], ignore: [] }
        : mapping;
    const v = readValue(prop, payload[prop], m);
    if (typeof v === "number") out.readings.push({ channel: m.channel, value: v });
    else if (typeof v === "string") out.notes.push(v);
  }
  if (Object.hasOwn(payload, "action")) {
    const a = payload.action;
    // An empty or null action is Zigbee2MQTT clearing the last one, not a press.
    if (typeof a === "string" && a !== "") {
      const event = Object.hasOwn(spec.action_events, a) ? spec.action_events[a] : undefined;
      // Values the profile does not list (a `release` after each `hold`) are not presses.
      if (event) out.events.push(event);
    } else if (a !== null && a !== "") out.notes.push(`action: ${show(a)} is not a string`);
  }
  return out;
}

/**
 * An availability or bridge state payload: `{"state":"online"}` (recent Zigbee2MQTT versions) or the
 * plain text `online` / `offline` (older versions, and `legacy_availability_payload`).
 */
export function parseAvailability(text: string): "online" | "offline" | undefined {
  const t = text.trim();
  if (t === "online" || t === "offline") return t;
  const j = parseJson(t);
  if (!j.ok || !isRecord(j.value)) return undefined;
  const s = j.value.state;
  return s === "online" || s === "offline" ? s : undefined;
}

export interface BridgeDevice {
  /** Lower case, as configs are compared. */
  ieee: string;
  friendlyName: string;
}

/** `<base>/bridge/devices`: every device Zigbee2MQTT knows, with its current friendly name. */
export function parseBridgeDevices(value: unknown): { devices: BridgeDevice[]; notes: string[] } {
  const out: { devices: BridgeDevice[]; notes: string[] } = { devices: [], notes: [] };
  if (!Array.isArray(value)) {
    out.notes.push(`the device list is ${show(value)}, not a JSON list`);
    return out;
  }
  value.forEach((d: unknown, i) => {
    if (
      isRecord(d) &&
      typeof d.ieee_address === "string" &&
      typeof d.friendly_name === "string" &&
      d.friendly_name !== ""
    )
      out.devices.push({ ieee: d.ieee_address.toLowerCase(), friendlyName: d.friendly_name });
    else out.notes.push(`entry ${i} has no ieee_address and friendly_name strings`);
  });
  return out;
}
