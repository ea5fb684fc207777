import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from "./time.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

/** The text of a duration: "90s", "45m", "4h", "1h30m", "2d". */
export const DURATION_TEXT = /^(\d+(\.\d+)?(ms|s|m|h|d))+$/;

/** Parses "90s", "45m", "4h", "1h30m", "2d" to milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!DURATION_TEXT.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g))
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return total;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${sec > 0 || s === 0 ? `${sec}s` : ""}`;
}
