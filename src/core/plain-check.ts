/**
 * A few checks in plain code, shaped like the zod schemas they stand in for (messages.ts): each takes a
 * value and returns what zod's parse would (objects rebuilt in the schema's key order, defaults filled
 * in, records and arrays copied) or a `Bad` listing what is wrong and where. The agent checks what it
 * writes and reads with these instead of zod, which it then never loads (issue 14, footprint):
 * contract/shape.ts builds the contract's bodies from them (tests/contract/shape.test.ts keeps them
 * agreeing with the schemas), profiles/dlt645-table.ts the DL/T 645 tables.
 *
 * Paths are made only on failure: the telemetry write runs this for every row.
 */

export interface Issue {
  path: (string | number)[];
  message: string;
}

/** What a failed check returns. */
export class Bad {
  constructor(readonly issues: Issue[]) {}
}

export type Check = (v: unknown) => unknown;

const bad = (message: string) => new Bad([{ path: [], message }]);

/** Issues of a child check, moved under `key`. */
function under(key: string | number, b: Bad, into: Issue[]): void {
  for (const i of b.issues) {
    i.path.unshift(key);
    into.push(i);
  }
}

export function str(o: { min?: number; max?: number; pattern?: RegExp } = {}): Check {
  return (v) => {
    if (typeof v !== "string") return bad("expected string");
    if (o.min !== undefined && v.length < o.min) return bad(`at least ${o.min} characters`);
    if (o.max !== undefined && v.length > o.max) return bad(`at most ${o.max} characters`);
    if (o.pattern && !o.pattern.test(v)) return bad(`does not match ${o.pattern}`);
    return v;
  };
}

/** A finite number (zod 4 refuses NaN and ±Infinity); `int`: a safe integer, as zod's `.int()`. */
export function num(o: { int?: boolean; min?: number; max?: number } = {}): Check {
  return (v) => {
    if (typeof v !== "number" || !Number.isFinite(v)) return bad("expected a finite number");
    if (o.int && !Number.isSafeInteger(v)) return bad("expected an integer");
    if (o.min !== undefined && v < o.min) return bad(`at least ${o.min}`);
    if (o.max !== undefined && v > o.max) return bad(`at most ${o.max}`);
    return v;
  };
}

export const bool: Check = (v) => (typeof v === "boolean" ? v : bad("expected boolean"));

/** Exactly `value` (zod's `z.literal`). */
export function literal(value: string | number): Check {
  return (v) => (v === value ? v : bad(`expected ${JSON.stringify(value)}`));
}

export function oneOf(values: readonly string[]): Check {
  const set = new Set(values);
  return (v) => (typeof v === "string" && set.has(v) ? v : bad(`expected one of ${values.join(", ")}`));
}

export function nullable(c: Check): Check {
  return (v) => (v === null ? null : c(v));
}

/** A plain object (not null, not an array), as zod's object and record take. */
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** z.record(z.string(), value): a copy; without `value`, z.unknown() (values kept as they are). */
export function record(value?: Check): Check {
  return (v) => {
    if (!isObject(v)) return bad("expected object");
    const out: Record<string, unknown> = {};
    const issues: Issue[] = [];
    for (const k of Object.keys(v)) {
      const r = value ? value(v[k]) : v[k];
      if (r instanceof Bad) under(k, r, issues);
      else out[k] = r;
    }
    return issues.length > 0 ? new Bad(issues) : out;
  };
}

export function arr(item: Check, o: { min?: number; length?: number } = {}): Check {
  return (v) => {
    if (!Array.isArray(v)) return bad("expected array");
    if (o.min !== undefined && v.length < o.min) return bad(`at least ${o.min} items`);
    if (o.length !== undefined && v.length !== o.length) return bad(`exactly ${o.length} items`);
    const out: unknown[] = [];
    const issues: Issue[] = [];
    for (let i = 0; i < v.length; i++) {
      const r = item(v[i]);
      if (r instanceof Bad) under(i, r, issues);
      else out.push(r);
    }
    return issues.length > 0 ? new Bad(issues) : out;
  };
}

/** A key that may be absent (or undefined). */
export interface Optional {
  optional: Check;
}
/** A key filled in with `make()` when absent (or undefined), as zod's `.default()`. */
export interface Defaulted {
  check: Check;
  make: () => unknown;
}
type Field = Check | Optional | Defaulted;

export const opt = (c: Check): Optional => ({ optional: c });
export const withDefault = (check: Check, make: () => unknown): Defaulted => ({ check, make });

/**
 * z.object(shape): `strict` refuses keys the shape does not name (zod's `.strict()`), otherwise they
 * are dropped (zod's default). `partial`: every key optional (zod's `.partial()`).
 */
export function obj(shape: Record<string, Field>, o: { strict: boolean; partial?: boolean }): Check {
  const fields = Object.entries(shape).map(([key, f]) => {
    if (typeof f === "function") return { key, check: f, optional: o.partial === true, make: undefined };
    if ("optional" in f) return { key, check: f.optional, optional: true, make: undefined };
    return { key, check: f.check, optional: true, make: f.make };
  });
  const known = new Set(fields.map((f) => f.key));
  return (v) => {
    if (!isObject(v)) return bad("expected object");
    const out: Record<string, unknown> = {};
    const issues: Issue[] = [];
    for (const f of fields) {
      const value = v[f.key];
      if (value === undefined) {
        if (f.make) out[f.key] = f.make();
        else if (!f.optional) issues.push({ path: [f.key], message: "required" });
        continue;
      }
      const r = f.check(value);
      if (r instanceof Bad) under(f.key, r, issues);
      else out[f.key] = r;
    }
    if (o.strict)
      for (const k of Object.keys(v))
        if (!known.has(k)) issues.push({ path: [k], message: "not a field of this object" });
    return issues.length > 0 ? new Bad(issues) : out;
  };
}

/** z.discriminatedUnion(key, ...): the object checked by the one whose `key` value matches. */
export function union(key: string, by: Record<string, Check>): Check {
  return (v) => {
    if (!isObject(v)) return bad("expected object");
    const d = v[key];
    const c = typeof d === "string" && Object.hasOwn(by, d) ? by[d] : undefined;
    if (!c) return new Bad([{ path: [key], message: `expected one of ${Object.keys(by).join(", ")}` }]);
    return c(v);
  };
}

/** zod's `z.iso.date()` and `z.iso.datetime({ offset: true })`, the same patterns (zod/v4/core/regexes). */
const DATE =
  "(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))";
export const ISO_DATE = new RegExp(`^${DATE}$`);
export const ISO_DATETIME = new RegExp(
  `^${DATE}T(?:(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z|([+-](?:[01]\\d|2[0-3]):[0-5]\\d)))$`,
);

export function issuesText(b: Bad): string[] {
  return b.issues.map((i) => `${i.path.map(String).join(".")}: ${i.message}`);
}
