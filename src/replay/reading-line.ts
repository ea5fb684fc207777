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

/** Each input channel name, aliases included, to its channel and whether its values are on/off. */
const CHANNEL_OF = new Map<string, { channel: Channel; binary: boolean }>(
  [...(Object.keys(CHANNELS) as Channel[]).map((c) => [c, c] as const), ...Object.entries(ALIASES)].map(
    ([name, c]) => [name, { channel: c, binary: CHANNELS[c].kind === "binary" }],
  ),
);

/** A reading line's fields (as JSON gave them) to a record, or the reason they are wrong. */
export function readingRecord(
  t: ParsedTs,
  device: string,
  rawChannel: unknown,
  rawValue: unknown,
): ReadingRecord | string {
  const out = blankReading();
  return fillReading(out, t, device, rawChannel, rawValue) ?? out;
}

/** `readingRecord` into `out`: undefined when the fields are right, else the reason they are wrong. */
function fillReading(
  out: ReadingRecord,
  t: ParsedTs,
  device: string,
  rawChannel: unknown,
  rawValue: unknown,
): string | undefined {
  // A Map, not the CHANNELS object: "constructor" or "toString" is not a channel because every object inherits it.
  const c = typeof rawChannel === "string" ? CHANNEL_OF.get(rawChannel) : undefined;
  if (c === undefined) return `unknown channel ${JSON.stringify(rawChannel)}`;
  // Sensors and Zigbee2MQTT state binary values as booleans; the agent's readings carry 1 and 0.
  const value = c.binary && typeof rawValue === "boolean" ? (rawValue ? 1 : 0) : rawValue;
  if (typeof value !== "number" || !Number.isFinite(value))
    return `"value" must be a finite number${c.binary ? " or a boolean" : ""}`;
  out.ms = t.ms;
  out.offsetMin = t.offsetMin;
  out.device = device;
  out.channel = c.channel;
  out.value = value;
  return undefined;
}

/**
 * The common reading line: no white space, the four keys in this order, strings without escapes or
 * control characters (where JSON.parse gives the text as it stands), a JSON number or a boolean.
 * One native match does what JSON.parse and the checks of `parseLine` do for it (a profile: parsing
 * was the largest part of a replay).
 */
const COMMON =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters are not JSON; such a line is the general path's.
  /^\{"ts":"([^"\\\x00-\x1f]*)","device":"([^"\\\x00-\x1f]+)","channel":"([a-z0-9_]+)","value":(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false)\}$/;

/** Exact powers of ten: an integer of at most 15 digits over one of these is rounded once, correctly. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The value of `line[from, to)`, a JSON number (the pattern checked it), as JSON.parse gives it: up to
 * 15 digits without an exponent by exact arithmetic (a profile: Number() was a tenth of the line's
 * reading), anything else by Number(), which is what JSON.parse does. Read in place: taking the text
 * from the line was a string a line.
 */
function jsonNumberAt(line: string, from: number, to: number): number {
  const neg = line.charCodeAt(from) === 45;
  let m = 0;
  let dot = -1;
  for (let i = neg ? from + 1 : from; i < to; i++) {
    const c = line.charCodeAt(i);
    if (c === 46) dot = i;
    else if (c >= 48 && c <= 57) m = m * 10 + (c - 48);
    else return Number(line.slice(from, to));
  }
  if (to - from - (neg ? 1 : 0) - (dot >= 0 ? 1 : 0) > 15) return Number(line.slice(from, to));
  const x = dot < 0 ? m : m / (POW10[to - dot - 1] as number);
  return neg ? -x : x;
}

/** Where the value starts in a line the pattern matched: after the three strings and the keys. */
const KEYS_BEFORE_VALUE =
  '{"ts":"'.length + '","device":"'.length + '","channel":"'.length + '","value":'.length;

/**
 * A common reading line read with one match into `out`: what JSON.parse and the checks of `parseLine`
 * give for it, without building the parsed object (replay reads millions of these). False for any
 * other line (another key order, spaces, escapes, a button, a command, a fault): the general path
 * reads it. `out` is written only when true.
 */
export function readCommonReading(line: string, out: ReadingRecord): boolean {
  const m = COMMON.exec(line);
  if (m === null) return false;
  const ts = m[1] as string;
  const device = m[2] as string;
  const channel = m[3] as string;
  // A button's event is a string: that line is the general path's, as is its fault with a number.
  if (channel === "button") return false;
  // parseTs keeps the last time it read: lines come in runs with one time.
  const t = parseTs(ts);
  if (t === undefined) return false;
  const from = KEYS_BEFORE_VALUE + ts.length + device.length + channel.length;
  const to = line.length - 1;
  const c0 = line.charCodeAt(from);
  const value = c0 === 116 ? true : c0 === 102 ? false : jsonNumberAt(line, from, to);
  return fillReading(out, t, device, channel, value) === undefined;
}

/** A record to read into (its fields are all written when a reading is read into it). */
export function blankReading(): ReadingRecord {
  return { kind: "reading", ms: 0, offsetMin: 0, device: "", channel: "power_w", value: 0 };
}

/** `readCommonReading` into a new record, or undefined. */
export function fastReading(line: string): ReadingRecord | undefined {
  const out = blankReading();
  return readCommonReading(line, out) ? out : undefined;
}
