import { CHANNELS, type Channel } from "../core/channels.js";
import { commonTs, type ParsedTs, parseTs } from "./timestamp.js";

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

const Q = 34; // "
const BACKSLASH = 92;
const DEVICE_KEY = '","device":"';
const CHANNEL_KEY = '","channel":"';
const VALUE_KEY = '","value":';
/** Exact powers of ten: an integer of at most 15 digits over one of these is correctly rounded. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The last line read fast, where its time ends (the closing quote) and what it was; the last device
 * name; the channel names met so far. Lines come in runs with one time and one device: compared in
 * place, not cut out and parsed again.
 */
let prevLine = "";
let prevTsEnd = 0;
let prevTs: ParsedTs = { ms: 0, offsetMin: 0 };
let lastDevice = "";
const seenChannels: string[] = [];

/** End (index of the closing quote) of a JSON string starting at `at` with no escape or control character; -1 otherwise. */
function plainStringEnd(line: string, at: number): number {
  for (let i = at; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === Q) return i;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

/**
 * Whether `line` holds `text` at `at`. By hand: `startsWith` with a position cost more than all the
 * rest of the line's reading (a profile), on the sliced strings that lines are.
 */
function holds(line: string, text: string, at: number): boolean {
  if (at + text.length > line.length) return false;
  for (let i = 0; i < text.length; i++) if (line.charCodeAt(at + i) !== text.charCodeAt(i)) return false;
  return true;
}

/** Whether `line` holds `text` at `at`, followed by a closing quote. */
function quotedAt(line: string, text: string, at: number): boolean {
  return line.charCodeAt(at + text.length) === Q && holds(line, text, at);
}

/** Whether `line`'s time is the last line's, to its closing quote: compared from the end, where times differ. */
function sameTs(line: string): boolean {
  const end = prevTsEnd;
  if (end === 0 || line.charCodeAt(end) !== Q) return false;
  for (let i = end - 1; i >= 7; i--) if (line.charCodeAt(i) !== prevLine.charCodeAt(i)) return false;
  return true;
}

/**
 * A JSON number (RFC 8259 grammar) filling `line` from `at` to `end`: its value as JSON.parse gives
 * it, or undefined when it is not one. Up to 15 significant digits without an exponent by exact
 * arithmetic (an exact integer over an exact power of ten rounds once, correctly); otherwise Number().
 */
function jsonNumber(line: string, at: number, end: number): number | undefined {
  let i = at;
  const neg = line.charCodeAt(i) === 45;
  if (neg) i++;
  const first = i;
  let m = 0;
  while (i < end) {
    const d = line.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) break;
    m = m * 10 + d;
    i++;
  }
  const intDigits = i - first;
  if (intDigits === 0 || (intDigits > 1 && line.charCodeAt(first) === 48)) return undefined;
  let fracDigits = 0;
  if (i < end && line.charCodeAt(i) === 46) {
    i++;
    const f0 = i;
    while (i < end) {
      const d = line.charCodeAt(i) - 48;
      if (!(d >= 0 && d <= 9)) break;
      m = m * 10 + d;
      i++;
    }
    fracDigits = i - f0;
    if (fracDigits === 0) return undefined;
  }
  if (i === end && intDigits + fracDigits <= 15) {
    const v = m / (POW10[fracDigits] as number);
    return neg ? -v : v;
  }
  // An exponent or many digits: checked against the grammar, then converted as JSON.parse does.
  if (i < end) {
    const e = line.charCodeAt(i);
    if (e !== 101 && e !== 69) return undefined;
    i++;
    const s = line.charCodeAt(i);
    if (s === 43 || s === 45) i++;
    const e0 = i;
    while (i < end) {
      const d = line.charCodeAt(i) - 48;
      if (!(d >= 0 && d <= 9)) break;
      i++;
    }
    if (i === e0 || i !== end) return undefined;
  }
  return Number(line.slice(at, end));
}

/**
 * The common reading line, `{"ts":"…","device":"…","channel":"…","value":<number|true|false>}` with
 * no white space, no escapes and a known channel, read in place: what JSON.parse and the checks of
 * `parseLine` give for it, without building the parsed object (replay reads millions of these).
 * Any other line (another key order, spaces, escapes, a button, a command, a fault) gives undefined:
 * the general path reads it.
 */
export function fastReading(line: string): ReadingRecord | undefined {
  if (!holds(line, '{"ts":"', 0)) return undefined;
  let t: ParsedTs | undefined;
  let at: number;
  if (sameTs(line)) {
    t = prevTs;
    at = prevTsEnd;
  } else {
    at = plainStringEnd(line, 7);
    if (at < 0) return undefined;
    t = commonTs(line, 7, at) ?? parseTs(line.slice(7, at));
    if (t === undefined) return undefined;
    prevLine = line;
    prevTsEnd = at;
    prevTs = t;
  }
  if (!holds(line, DEVICE_KEY, at)) return undefined;
  at += DEVICE_KEY.length;
  let device: string;
  if (lastDevice.length > 0 && quotedAt(line, lastDevice, at)) device = lastDevice;
  else {
    const end = plainStringEnd(line, at);
    if (end <= at) return undefined;
    device = line.slice(at, end);
    lastDevice = device;
  }
  at += device.length;
  if (!holds(line, CHANNEL_KEY, at)) return undefined;
  at += CHANNEL_KEY.length;
  let channel: string | undefined;
  for (const c of seenChannels)
    if (quotedAt(line, c, at)) {
      channel = c;
      break;
    }
  if (channel === undefined) {
    const end = plainStringEnd(line, at);
    if (end < 0) return undefined;
    const c = line.slice(at, end);
    if (!Object.hasOwn(CHANNELS, c) || c === "button") return undefined;
    seenChannels.push(c);
    channel = c;
  }
  at += channel.length;
  if (!holds(line, VALUE_KEY, at)) return undefined;
  at += VALUE_KEY.length;
  const close = line.length - 1;
  if (close <= at || line.charCodeAt(close) !== 0x7d) return undefined;
  let value: number | boolean | undefined;
  if (close - at === 4 && holds(line, "true", at)) value = true;
  else if (close - at === 5 && holds(line, "false", at)) value = false;
  else value = jsonNumber(line, at, close);
  if (value === undefined) return undefined;
  const rec = readingRecord(t, device, channel, value);
  return typeof rec === "string" ? undefined : rec;
}
