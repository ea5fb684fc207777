/**
 * A formatter of ISO 8601 with the offset of one zone. Building an Intl.DateTimeFormat per call
 * dominated a telemetry write and a replay, so the formatter is built once per zone and the zone's
 * offset computed once per minute (offset changes fall on whole minutes); the rest is arithmetic.
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
  let cachedMinute = Number.NaN;
  let cachedOffsetMin = 0;
  const offsetOf = (ms: number): number => {
    const minute = Math.floor(ms / 60_000);
    if (minute === cachedMinute) return cachedOffsetMin;
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
    cachedMinute = minute;
    cachedOffsetMin = Math.round((local - Math.floor(ms / 1000) * 1000) / 60000);
    return cachedOffsetMin;
  };
  const two = (n: number) => String(n).padStart(2, "0");
  return (msIn: number) => {
    // Scaled and virtual clocks give fractional milliseconds; the format has three digits.
    const ms = Math.floor(msIn);
    const offsetMin = offsetOf(ms);
    const d = new Date(ms + offsetMin * 60_000);
    const sign = offsetMin >= 0 ? "+" : "-";
    const abs = Math.abs(offsetMin);
    const msPart = String(((ms % 1000) + 1000) % 1000).padStart(3, "0");
    return (
      `${String(d.getUTCFullYear()).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}` +
      `T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${msPart}` +
      `${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`
    );
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
