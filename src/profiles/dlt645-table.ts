import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ErrorCode, HearthError } from "../core/errors.js";
import { packageRoot } from "../core/paths.js";

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

const row = z
  .object({
    di: z.string(),
    name: z.string().min(1),
    format: z.enum(DLT645_VALUE_FORMATS),
    length: z.number().int().min(1).max(32),
    decimals: z.number().int().min(0).max(8),
    signed: z.boolean(),
    unit: z.string(),
    source: z.array(z.string()).min(1),
  })
  .strict();
export type Dlt645TableRow = z.output<typeof row>;

function tableSchema(edition: Dlt645Edition) {
  const diPattern = edition === 2007 ? /^[0-9A-F]{8}$/ : /^[0-9A-F]{4}$/;
  return z
    .object({
      $comment: z.string(),
      edition: z.literal(edition),
      sources: z.record(z.string(), z.string().min(1)),
      identifiers: z.array(row).min(1),
    })
    .strict()
    .superRefine((t, ctx) => {
      const seen = new Set<string>();
      t.identifiers.forEach((r, i) => {
        if (!diPattern.test(r.di))
          ctx.addIssue({
            code: "custom",
            path: ["identifiers", i, "di"],
            message: `${r.di} is not a ${edition} identifier`,
          });
        if (seen.has(r.di))
          ctx.addIssue({ code: "custom", path: ["identifiers", i, "di"], message: `${r.di} listed twice` });
        seen.add(r.di);
        for (const s of r.source)
          if (!(s in t.sources))
            ctx.addIssue({
              code: "custom",
              path: ["identifiers", i, "source"],
              message: `unknown source ${s}`,
            });
        const bytes =
          r.format === "demand"
            ? 8
            : r.format === "date" || r.format === "mdhm"
              ? 4
              : r.format === "time"
                ? 3
                : 0;
        if (bytes > 0 && r.length !== bytes)
          ctx.addIssue({
            code: "custom",
            path: ["identifiers", i, "length"],
            message: `${r.format} is ${bytes} bytes`,
          });
      });
    });
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
  const parsed = tableSchema(edition).safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new HearthError(
      `${file}: ${first?.path.join(".") ?? ""}: ${first?.message ?? "invalid"}`,
      ErrorCode.ConfigInvalid,
      { file },
    );
  }
  const rows = parsed.data.identifiers;
  return { edition, sources: parsed.data.sources, rows, byDi: new Map(rows.map((r) => [r.di, r])) };
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
