import { MINUTE_MS, SECOND_MS } from "../core/time.js";

/**
 * A formatter of ISO 8601 with the offset of one zone. Building an Intl.DateTimeFormat per call
 * dominated a telemetry write and a replay, so the formatter is built once per zone and the zone's
 * offset computed once per quarter hour (offset changes fall on whole minutes, at most one in a
 * quarter hour); the rest is arithmetic.
 */
export function createStamper(timeZone: string): (ms: number) => string {
  const fmt = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  const offsetAt = (ms: number): number => {
    const p: Record<string, string> = {};
    for (const part of fmt.formatToParts(new Date(ms))) p[part.type] = part.value;
    const local = Date.UTC(
      Number(p.year),
      Number(p.month) - 1,
      Number(p.day),
      Number(p.hour),
      Number(p.minute),
      Number(p.second),
    );
    return Math.round((local - Math.floor(ms / SECOND_MS) * SECOND_MS) / MINUTE_MS);
  };
  // The offset of a whole quarter hour when it is the same at its first and last minute (a zone's
  // offset changes at most once in a quarter hour), else of the minute.
  let cachedSlot = Number.NaN;
  let cachedSlotOffset: number | undefined;
  let cachedMinute = Number.NaN;
  let cachedOffsetMin = 0;
  const offsetOf = (ms: number): number => {
    const minute = Math.floor(ms / MINUTE_MS);
    if (minute === cachedMinute) return cachedOffsetMin;
    const slot = Math.floor(minute / 15);
    if (slot !== cachedSlot) {
      cachedSlot = slot;
      const first = offsetAt(slot * 15 * MINUTE_MS);
      cachedSlotOffset = first === offsetAt((slot * 15 + 14) * MINUTE_MS) ? first : undefined;
    }
    cachedMinute = minute;
    cachedOffsetMin = cachedSlotOffset ?? offsetAt(ms);
    return cachedOffsetMin;
  };
  const two = (n: number) => String(n).padStart(2, "0");
  // The text of the minute ("2026-03-01T07:12:" and "+08:00"), made once per minute: a telemetry batch
  // stamps many rows in one minute, and building the whole text from a Date took a tenth of a row's write.
  let textMinute = Number.NaN;
  let head = "";
  let tail = "";
  return (msIn: number) => {
    // Scaled and virtual clocks give fractional milliseconds; the format has three digits.
    const ms = Math.floor(msIn);
    const minute = Math.floor(ms / MINUTE_MS);
    if (minute !== textMinute) {
      const offsetMin = offsetOf(ms);
      // Offsets are whole minutes, so the local minute starts where the UTC one does.
      const d = new Date(minute * MINUTE_MS + offsetMin * MINUTE_MS);
      const abs = Math.abs(offsetMin);
      head =
        `${String(d.getUTCFullYear()).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}` +
        `T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:`;
      tail = `${offsetMin >= 0 ? "+" : "-"}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
      textMinute = minute;
    }
    const inMinute = ms - minute * MINUTE_MS;
    const second = Math.floor(inMinute / SECOND_MS);
    const milli = inMinute - second * SECOND_MS;
    return `${head}${second < 10 ? "0" : ""}${second}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}${tail}`;
  };
}

const stampers = new Map<string, (ms: number) => string>();

/** ISO 8601 with the offset of `timeZone` (e.g. 2026-03-01T07:12:00.000+08:00). */
export function isoWithOffset(ms: number, timeZone: string): string {
  let stamp = stampers.get(timeZone);
  if (!stamp) {
    stamp = createStamper(timeZone);
    stampers.set(timeZone, stamp);
  }
  return stamp(ms);
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

/** Local date (YYYY-MM-DD), hour and weekday (0 = Monday) of an instant in `timeZone`. */
export function localParts(
  ms: number,
  timeZone: string,
): { date: string; hour: number; minute: number; weekday: number } {
  let fmt = partsFormatters.get(timeZone);
  if (!fmt) {
    // Building a formatter costs far more than using one; detection asks this every minute.
    fmt = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
      hourCycle: "h23",
    });
    partsFormatters.set(timeZone, fmt);
  }
  const parts = fmt.formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const wd = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(get("weekday"));
  return {
    date: `${get("year")}-${get("month")}-${get("day")}`,
    hour: Number(get("hour")),
    minute: Number(get("minute")),
    weekday: wd,
  };
}

/** Body keys whose times come from the cloud (a command's end time), not from the gateway's clock. */
const CLOUD_TIME_KEYS = new Set(["until", "expires"]);
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A message body with every time the gateway wrote on its unsynced clock corrected: each string that
 * is an ISO 8601 time with offset, except under `until` and `expires` (the cloud's times), becomes
 * `format(corrected(ms))`. Re-stamping `ts` alone would leave a synced envelope around evidence such
 * as "last activity at 1970-01-01". Returns a copy; the input is not changed.
 */
export function restampBody<T>(
  body: T,
  corrected: (ms: number) => number,
  format: (ms: number) => string,
): T {
  const walk = (v: unknown, key: string | undefined): unknown => {
    if (typeof v === "string") {
      if (key !== undefined && CLOUD_TIME_KEYS.has(key)) return v;
      if (!ISO_WITH_OFFSET.test(v)) return v;
      const ms = Date.parse(v);
      return Number.isNaN(ms) ? v : format(corrected(ms));
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, undefined));
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(body, undefined) as T;
}
