import { WATCH_LEVELS, type WatchLevel } from "../contract/messages.js";
import { CHANNELS, type Channel } from "../core/channels.js";

/** One line of replay input, checked. `ms`: its time (epoch ms); `offsetMin`: the offset it was written with. */
export type ReplayRecord =
  | { kind: "reading"; ms: number; offsetMin: number; device: string; channel: Channel; value: number }
  | { kind: "button"; ms: number; offsetMin: number; device: string; event: string }
  | { kind: "watch"; ms: number; offsetMin: number; level: WatchLevel; untilMs?: number }
  | { kind: "ack"; ms: number; offsetMin: number; alert: string; by?: string };

const TS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** The last time parsed: lines come in runs with the same `ts` (every channel of one reading). */
let lastTs: { text: string; parsed: { ms: number; offsetMin: number } } | undefined;

/** Parses an ISO 8601 time with offset; undefined when it is not one. */
export function parseTs(s: unknown): { ms: number; offsetMin: number } | undefined {
  if (typeof s !== "string") return undefined;
  if (lastTs?.text === s) return lastTs.parsed;
  const m = TS.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return undefined;
  const z = m[8] as string;
  const offsetMin =
    z === "Z" ? 0 : (z[0] === "-" ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(4, 6)));
  // Frozen: callers share the cached object (they spread it into their records).
  const parsed = Object.freeze({ ms, offsetMin });
  lastTs = { text: s, parsed };
  return parsed;
}

/**
 * Input channel names that are another channel's: a presence sensor (BTHome 0x25, Zigbee2MQTT
 * `presence`) feeds `occupancy`, the channel the contract's telemetry names.
 */
const ALIASES: Readonly<Record<string, Channel>> = { presence: "occupancy" };

/** One line of input to a record, or the reason it is malformed. */
export function parseLine(line: string): ReplayRecord | string {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return "not a JSON object";
  const r = o as Record<string, unknown>;
  const t = parseTs(r.ts);
  if (!t) return `"ts" ${JSON.stringify(r.ts)} is not an ISO 8601 time with offset`;
  if (r.command !== undefined) {
    if (r.command === "watch") {
      if (!WATCH_LEVELS.includes(r.level as WatchLevel))
        return `watch "level" must be one of ${WATCH_LEVELS.join(", ")}, found ${JSON.stringify(r.level)}`;
      if (r.until === undefined) return { kind: "watch", ...t, level: r.level as WatchLevel };
      const u = parseTs(r.until);
      if (!u) return `watch "until" ${JSON.stringify(r.until)} is not an ISO 8601 time with offset`;
      return { kind: "watch", ...t, level: r.level as WatchLevel, untilMs: u.ms };
    }
    if (r.command === "ack") {
      if (typeof r.alert !== "string" || r.alert.length === 0) return 'ack needs "alert": an alert id';
      return {
        kind: "ack",
        ...t,
        alert: r.alert,
        ...(typeof r.by === "string" ? { by: r.by } : {}),
      };
    }
    return `unknown command ${JSON.stringify(r.command)} (watch, ack)`;
  }
  if (typeof r.device !== "string" || r.device.length === 0) return '"device" must be a non-empty string';
  if (r.channel === "button") {
    if (typeof r.value !== "string" || r.value.length === 0)
      return 'a button line needs "value": the event name';
    return { kind: "button", ...t, device: r.device, event: r.value };
  }
  // Own keys only: "constructor" or "toString" is not a channel because every object inherits it.
  const channel =
    typeof r.channel !== "string"
      ? undefined
      : Object.hasOwn(CHANNELS, r.channel)
        ? (r.channel as Channel)
        : Object.hasOwn(ALIASES, r.channel)
          ? ALIASES[r.channel]
          : undefined;
  if (channel === undefined) return `unknown channel ${JSON.stringify(r.channel)}`;
  const binary = CHANNELS[channel].kind === "binary";
  // Sensors and Zigbee2MQTT state binary values as booleans; the agent's readings carry 1 and 0.
  const value = binary && typeof r.value === "boolean" ? (r.value ? 1 : 0) : r.value;
  if (typeof value !== "number" || !Number.isFinite(value))
    return `"value" must be a finite number${binary ? " or a boolean" : ""}`;
  return { kind: "reading", ...t, device: r.device, channel, value };
}

/**
 * A fixed-offset IANA zone for an offset (whole hours only), for input without a config: "+08:00" is
 * Etc/GMT-8 (the sign is inverted by POSIX convention).
 */
export function zoneForOffset(offsetMin: number): string | undefined {
  if (offsetMin % 60 !== 0) return undefined;
  const h = offsetMin / 60;
  if (h === 0) return "UTC";
  return `Etc/GMT${h > 0 ? "-" : "+"}${Math.abs(h)}`;
}
