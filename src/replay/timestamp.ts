/** A time parsed from replay input: epoch ms, and the offset (minutes east of UTC) it was written with. */
export interface ParsedTs {
  readonly ms: number;
  readonly offsetMin: number;
}

const TS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The last time parsed, text and value: lines come in runs with the same `ts` (every channel of one
 * reading). Callers share the value, which its type makes read-only (freezing each one cost a third
 * of a parse: a profile).
 */
let lastText: string | undefined;
let lastParsed: ParsedTs | undefined;

/** Parses an ISO 8601 time with offset; undefined when it is not one. */
export function parseTs(s: unknown): ParsedTs | undefined {
  if (typeof s !== "string") return undefined;
  if (lastText === s) return lastParsed;
  const parsed = commonTs(s) ?? generalTs(s);
  if (parsed === undefined) return undefined;
  lastText = s;
  lastParsed = parsed;
  return parsed;
}

/** Any time `parseTs` takes, by a pattern and Date.parse: what `commonTs` must equal where it answers. */
export function generalTs(s: string): ParsedTs | undefined {
  const m = TS.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return undefined;
  const z = m[8] as string;
  const offsetMin =
    z === "Z" ? 0 : (z[0] === "-" ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(4, 6)));
  return { ms, offsetMin };
}

/** `n` decimal digits of `s` from `at`, or -1. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    // Past the end charCodeAt gives NaN, which fails this too.
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm): Date.UTC's day, in integers. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** The last `YYYY-MM-DDTHH:MM` read and its minutes: times come in order, two or more to a minute. */
let lastMinuteText = "";
let lastMinute = Number.NaN;

/**
 * Minutes since the epoch of the local date and time `YYYY-MM-DDTHH:MM` that starts `s` (before its
 * offset is applied), or NaN where it is not that form with every field in range.
 */
function localMinutes(s: string): number {
  if (lastMinuteText !== "" && s.startsWith(lastMinuteText)) return lastMinute;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) return Number.NaN;
  if (s.charCodeAt(13) !== 58) return Number.NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  if (
    y < 1000 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > daysInMonth(y, mo) ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59
  )
    return Number.NaN;
  lastMinuteText = s.slice(0, 16);
  lastMinute = (daysFromCivil(y, mo, d) * 24 + h) * 60 + mi;
  return lastMinute;
}

/**
 * The form every writer of replay input uses, `YYYY-MM-DDTHH:MM[:SS[.mmm]](Z|±HH:MM)` with every field
 * in range, by arithmetic: what Date.parse gives for it, without its cost (replay parses a time for
 * every second line). Anything else (other fraction lengths, out-of-range fields that Date.parse rolls
 * over or refuses) is left to the general path: undefined.
 */
export function commonTs(s: string): ParsedTs | undefined {
  const n = s.length;
  if (n < 17) return undefined;
  const local = localMinutes(s);
  if (Number.isNaN(local)) return undefined;
  let at = 16;
  let sec = 0;
  let frac = 0;
  if (s.charCodeAt(at) === 58) {
    sec = digits(s, at + 1, 2);
    if (sec < 0 || sec > 59) return undefined;
    at += 3;
    if (s.charCodeAt(at) === 46) {
      frac = digits(s, at + 1, 3);
      if (frac < 0) return undefined;
      at += 4;
    }
  }
  let offsetMin: number;
  if (at === n - 1 && s.charCodeAt(at) === 90) offsetMin = 0;
  else {
    const sign = s.charCodeAt(at);
    if (at !== n - 6 || (sign !== 43 && sign !== 45) || s.charCodeAt(at + 3) !== 58) return undefined;
    const oh = digits(s, at + 1, 2);
    const om = digits(s, at + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetMin = (sign === 45 ? -1 : 1) * (oh * 60 + om);
  }
  const minutes = local - offsetMin;
  return { ms: minutes * 60_000 + sec * 1000 + frac, offsetMin };
}
