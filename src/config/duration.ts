import { z } from "zod";
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from "../core/time.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

/** Parses "90s", "45m", "4h", "1h30m", "2d" to milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g))
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return total;
}

/** A duration in config: a string like "4h" or "45m" (a bare number means seconds). Output: milliseconds. */
export const duration = z
  .union([
    z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h|d))+$/, 'a duration such as "90s", "45m", "4h", "1h30m"'),
    z.number().nonnegative(),
  ])
  .transform((v) => (typeof v === "number" ? v * 1000 : (parseDuration(v) as number)));

/** "HH:MM" local time of day. Output: minutes after midnight. */
export const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day "HH:MM"')
  .transform((v) => Number(v.slice(0, 2)) * 60 + Number(v.slice(3, 5)));

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${sec > 0 || s === 0 ? `${sec}s` : ""}`;
}
