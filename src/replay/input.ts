import { WATCH_LEVELS, type WatchLevel } from "../contract/messages.js";
import { fastReading, type ReadingRecord, readingRecord } from "./reading-line.js";
import { parseTs } from "./timestamp.js";

export { parseTs } from "./timestamp.js";

/** One line of replay input, checked. `ms`: its time (epoch ms); `offsetMin`: the offset it was written with. */
export type ReplayRecord =
  | ReadingRecord
  | { kind: "button"; ms: number; offsetMin: number; device: string; event: string }
  | { kind: "watch"; ms: number; offsetMin: number; level: WatchLevel; untilMs?: number }
  | { kind: "ack"; ms: number; offsetMin: number; alert: string; by?: string };

/** One line of input to a record, or the reason it is malformed. */
export function parseLine(line: string): ReplayRecord | string {
  // The common reading line is read in place (reading-line.ts); the rest is parsed as JSON.
  return fastReading(line) ?? parseJsonLine(line);
}

/** `parseLine` by JSON.parse, for every line: what the in-place reading of the common line must equal. */
export function parseJsonLine(line: string): ReplayRecord | string {
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
  return readingRecord(t, r.device, r.channel, r.value);
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
