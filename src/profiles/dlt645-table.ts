import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, HearthError } from "../core/errors.js";
import { packageRoot } from "../core/paths.js";
import { arr, Bad, bool, literal, num, obj, oneOf, record, str } from "../core/plain-check.js";

/**
 * The identifier tables of DL/T 645 (appendix A of each edition) as data, in
 * device-profiles/dlt645/dlt645-<edition>.json: what `hearth decode` names and what a profile's
 * identifiers are checked against. Each row cites where its format comes from.
 */

export type Dlt645Edition = 1997 | 2007;
export const DLT645_EDITIONS: readonly Dlt645Edition[] = [2007, 1997];

/**
 * bcd: a number; demand: XX.XXXX then YYMMDDhhmm (2007); date: YYMMDDWW; time: hhmmss; mdhm: MMDDhhmm
 * (1997 demand times); digits: BCD digits as text (addresses, meter numbers); bits: a status word.
 */
export const DLT645_VALUE_FORMATS = ["bcd", "demand", "date", "time", "mdhm", "digits", "bits"] as const;
export type Dlt645ValueFormat = (typeof DLT645_VALUE_FORMATS)[number];

export interface Dlt645TableRow {
  di: string;
  name: string;
  format: Dlt645ValueFormat;
  length: number;
  decimals: number;
  signed: boolean;
  unit: string;
  source: string[];
}

// Plain checks, not zod: the agent reads these tables while polling a meter, and loads no zod (issue 14).
const row = obj(
  {
    di: str(),
    name: str({ min: 1 }),
    format: oneOf(DLT645_VALUE_FORMATS),
    length: num({ int: true, min: 1, max: 32 }),
    decimals: num({ int: true, min: 0, max: 8 }),
    signed: bool,
    unit: str(),
    source: arr(str(), { min: 1 }),
  },
  { strict: true },
);

interface TableFile {
  sources: Record<string, string>;
  identifiers: Dlt645TableRow[];
}

/** The first thing wrong with the table's rows, beyond their shape: identifiers, sources, lengths. */
function rowProblem(edition: Dlt645Edition, t: TableFile): { path: string; message: string } | undefined {
  const diPattern = edition === 2007 ? /^[0-9A-F]{8}$/ : /^[0-9A-F]{4}$/;
  const seen = new Set<string>();
  for (const [i, r] of t.identifiers.entries()) {
    const at = (field: string) => `identifiers.${i}.${field}`;
    if (!diPattern.test(r.di)) return { path: at("di"), message: `${r.di} is not a ${edition} identifier` };
    if (seen.has(r.di)) return { path: at("di"), message: `${r.di} listed twice` };
    seen.add(r.di);
    for (const s of r.source)
      if (!Object.hasOwn(t.sources, s)) return { path: at("source"), message: `unknown source ${s}` };
    const bytes =
      r.format === "demand"
        ? 8
        : r.format === "date" || r.format === "mdhm"
          ? 4
          : r.format === "time"
            ? 3
            : 0;
    if (bytes > 0 && r.length !== bytes)
      return { path: at("length"), message: `${r.format} is ${bytes} bytes` };
  }
  return undefined;
}

export interface Dlt645Table {
  edition: Dlt645Edition;
  sources: Readonly<Record<string, string>>;
  rows: readonly Dlt645TableRow[];
  byDi: ReadonlyMap<string, Dlt645TableRow>;
}

export function dlt645TableFile(edition: Dlt645Edition): string {
  return join(packageRoot(), "device-profiles", "dlt645", `dlt645-${edition}.json`);
}

/** Parses and checks one edition's table; throws HearthError (ConfigInvalid) naming the row that is wrong. */
export function parseDlt645Table(
  edition: Dlt645Edition,
  text: string,
  file = `dlt645-${edition}.json`,
): Dlt645Table {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new HearthError(`${file}: not JSON (${(e as Error).message})`, ErrorCode.ConfigInvalid, { file });
  }
  const shaped = obj(
    {
      $comment: str(),
      edition: literal(edition),
      sources: record(str({ min: 1 })),
      identifiers: arr(row, { min: 1 }),
    },
    { strict: true },
  )(json);
  const problem =
    shaped instanceof Bad
      ? { path: shaped.issues[0]?.path.join(".") ?? "", message: shaped.issues[0]?.message ?? "invalid" }
      : rowProblem(edition, shaped as TableFile);
  if (problem)
    throw new HearthError(`${file}: ${problem.path}: ${problem.message}`, ErrorCode.ConfigInvalid, { file });
  const t = shaped as TableFile;
  const rows = t.identifiers;
  return { edition, sources: t.sources, rows, byDi: new Map(rows.map((r) => [r.di, r])) };
}

const cache = new Map<Dlt645Edition, Dlt645Table>();

/** The edition's table, read once from device-profiles/dlt645/. */
export function dlt645Table(edition: Dlt645Edition): Dlt645Table {
  let t = cache.get(edition);
  if (!t) {
    const file = dlt645TableFile(edition);
    t = parseDlt645Table(edition, readFileSync(file, "utf8"), file);
    cache.set(edition, t);
  }
  return t;
}

export interface Dlt645StandardFormat {
  name: string;
  length: number;
  decimals: number;
  signed: boolean;
  unit: string;
}

/** The numeric (BCD) rows of an edition's appendix A table (device-profiles/dlt645/), by identifier. */
export function standardFormats(edition: Dlt645Edition): Readonly<Record<string, Dlt645StandardFormat>> {
  const out: Record<string, Dlt645StandardFormat> = {};
  for (const r of dlt645Table(edition).rows)
    if (r.format === "bcd")
      out[r.di] = { name: r.name, length: r.length, decimals: r.decimals, signed: r.signed, unit: r.unit };
  return out;
}

/**
 * Formats DL/T 645-2007 appendix A gives its numeric identifiers (table A.1 energy, A.3 variables, ...).
 * A profile that lists one of these must agree with it; the codec uses the same table.
 */
export const DLT645_STANDARD_FORMATS: Readonly<Record<string, Dlt645StandardFormat>> = standardFormats(2007);
