import { z } from "zod";
import { DURATION_TEXT, parseDuration } from "../core/duration.js";

/** A duration in config: a string like "4h" or "45m" (a bare number means seconds). Output: milliseconds. */
export const duration = z
  .union([
    z.string().regex(DURATION_TEXT, 'a duration such as "90s", "45m", "4h", "1h30m"'),
    z.number().nonnegative(),
  ])
  .transform((v) => (typeof v === "number" ? v * 1000 : (parseDuration(v) as number)));

/** "HH:MM" local time of day. Output: minutes after midnight. */
export const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day "HH:MM"')
  .transform((v) => Number(v.slice(0, 2)) * 60 + Number(v.slice(3, 5)));
