import { CHANNELS, type Channel } from "../core/channels.js";
import { type ParsedTs, parseTs } from "./timestamp.js";

/** A meter or sensor reading of replay input, checked. */
export interface ReadingRecord {
  kind: "reading";
  ms: number;
  offsetMin: number;
  device: string;
  channel: Channel;
  value: number;
}

/**
 * Input channel names that are another channel's: a presence sensor (BTHome 0x25, Zigbee2MQTT
 * `presence`) feeds `occupancy`, the channel the contract's telemetry names.
 */
const ALIASES: Readonly<Record<string, Channel>> = { presence: "occupancy" };

/** A reading line's fields (as JSON gave them) to a record, or the reason they are wrong. */
export function readingRecord(
  t: ParsedTs,
  device: string,
  rawChannel: unknown,
  rawValue: unknown,
): ReadingRecord | string {
  // Own keys only: "constructor" or "toString" is not a channel because every object inherits it.
  const channel =
    typeof rawChannel !== "string"
      ? undefined
      : Object.hasOwn(CHANNELS, rawChannel)
        ? (rawChannel as Channel)
        : Object.hasOwn(ALIASES, rawChannel)
          ? ALIASES[rawChannel]
          : undefined;
  if (channel === undefined) return `unknown channel ${JSON.stringify(rawChannel)}`;
  const binary = CHANNELS[channel].kind === "binary";
  // Sensors and Zigbee2MQTT state binary values as booleans; the agent's readings carry 1 and 0.
  const value = binary && typeof rawValue === "boolean" ? (rawValue ? 1 : 0) : rawValue;
  if (typeof value !== "number" || !Number.isFinite(value))
    return `"value" must be a finite number${binary ? " or a boolean" : ""}`;
  return { kind: "reading", ms: t.ms, offsetMin: t.offsetMin, device, channel, value };
}

/**
 * The common reading line: no white space, the four keys in this order, strings without escapes or
 * control characters (where JSON.parse gives the text as it stands), a JSON number or a boolean.
 * One native match does what JSON.parse and the checks of `parseLine` do for it (a profile: parsing
 * was the largest part of a replay).
 */
const COMMON =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters are not JSON; such a line is the general path's.
  /^\{"ts":"([^"\\\x00-\x1f]*)","device":"([^"\\\x00-\x1f]+)","channel":"([a-z0-9_]+)","value":(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false)\}$/;

/** Exact powers of ten: an integer of at most 15 digits over one of these is rounded once, correctly. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The value of `v`, a JSON number (the pattern checked it), as JSON.parse gives it: up to 15 digits
 * without an exponent by exact arithmetic (a profile: Number() was a tenth of the line's reading),
 * anything else by Number(), which is what JSON.parse does.
 */
function jsonNumber(v: string): number {
  const n = v.length;
  const neg = v.charCodeAt(0) === 45;
  let m = 0;
  let dot = -1;
  for (let i = neg ? 1 : 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 46) dot = i;
    else if (c >= 48 && c <= 57) m = m * 10 + (c - 48);
    else return Number(v);
  }
  if (n - (neg ? 1 : 0) - (dot >= 0 ? 1 : 0) > 15) return Number(v);
  const x = dot < 0 ? m : m / (POW10[n - dot - 1] as number);
  return neg ? -x : x;
}

/**
 * A common reading line read with one match: what JSON.parse and the checks of `parseLine` give for
 * it, without building the parsed object (replay reads millions of these). Any other line (another
 * key order, spaces, escapes, a button, a command, a fault) gives undefined: the general path reads it.
 */
export function fastReading(line: string): ReadingRecord | undefined {
  const m = COMMON.exec(line);
  if (m === null) return undefined;
  // parseTs keeps the last time it read: lines come in runs with one time.
  const t = parseTs(m[1]);
  if (t === undefined) return undefined;
  const channel = m[3] as string;
  // A button's event is a string: that line is the general path's, as is its fault with a number.
  if (channel === "button") return undefined;
  const v = m[4] as string;
  const value = v === "true" ? true : v === "false" ? false : jsonNumber(v);
  const rec = readingRecord(t, m[2] as string, channel, value);
  return typeof rec === "string" ? undefined : rec;
}
