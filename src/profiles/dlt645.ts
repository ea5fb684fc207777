import { z } from "zod";
import { CHANNEL_NAMES } from "../core/channels.js";
import { profileIdentity, serialSettings, timing } from "./common.js";
import { dlt645Table } from "./dlt645-table.js";

export type { Dlt645Edition } from "./dlt645-table.js";

export {
  DLT645_STANDARD_FORMATS,
  type Dlt645StandardFormat,
  standardFormats,
} from "./dlt645-table.js";

export const dlt645Identifier = z
  .object({
    name: z.string().regex(/^[a-z0-9_]+$/, "snake_case"),
    di: z
      .string()
      .regex(
        /^(?:[0-9A-Fa-f]{4}){1,2}$/,
        "8 hex digits (2007: DI3 DI2 DI1 DI0) or 4 (1997: DI1 DI0), as written in the standard",
      )
      .transform((s) => s.toUpperCase()),
    length: z.number().int().min(1).max(32).describe("data bytes of the value"),
    decimals: z.number().int().min(0).max(8).describe("BCD digits after the decimal point"),
    signed: z.boolean().default(false).describe("highest bit of the top byte is the sign"),
    unit: z.string().describe("unit of the scaled value (value × scale)"),
    scale: z.number().default(1).describe("value = decoded × scale, e.g. 1000 for kW → W"),
    channel: z.enum(CHANNEL_NAMES).optional(),
  })
  .strict();
export type Dlt645Identifier = z.output<typeof dlt645Identifier>;

function describeFormat(f: { length: number; decimals: number; signed: boolean }): string {
  return `${f.length} byte(s), ${f.decimals} decimal(s), ${f.signed ? "signed" : "unsigned"}`;
}

export const dlt645Profile = z
  .object({
    ...profileIdentity,
    protocol: z.literal("dlt645"),
    serial: serialSettings.prefault({ baud: 2400, parity: "even" }),
    timing: timing.prefault({}),
    dlt645: z
      .object({
        edition: z
          .union([z.literal(2007), z.literal(1997)])
          .default(2007)
          .describe("which DL/T 645 the meter speaks: 2007 (four-byte identifiers) or 1997 (two-byte)"),
        preamble: z.number().int().min(0).max(4).default(4).describe("FE wake-up bytes before each request"),
        identifiers: z.array(dlt645Identifier).min(1),
      })
      .strict()
      .superRefine((d, ctx) => {
        const names = new Set<string>();
        const dis = new Set<string>();
        d.identifiers.forEach((id, i) => {
          if (names.has(id.name))
            ctx.addIssue({
              code: "custom",
              path: ["identifiers", i, "name"],
              message: `a name not used twice (${id.name})`,
            });
          if (dis.has(id.di))
            ctx.addIssue({
              code: "custom",
              path: ["identifiers", i, "di"],
              message: `an identifier not read twice (${id.di})`,
            });
          names.add(id.name);
          dis.add(id.di);
          const width = d.edition === 2007 ? 8 : 4;
          if (id.di.length !== width) {
            ctx.addIssue({
              code: "custom",
              path: ["identifiers", i, "di"],
              message: `a ${d.edition} identifier of ${width} hex digits (${id.di} is ${id.di.length === 8 ? "a 2007" : "a 1997"} one)`,
            });
            return;
          }
          const row = dlt645Table(d.edition).byDi.get(id.di);
          if (row && row.format !== "bcd")
            ctx.addIssue({
              code: "custom",
              path: ["identifiers", i, "di"],
              message: `${id.di} (${row.name}) is not a number in DL/T 645-${d.edition} (format ${row.format}); a profile reads numbers`,
            });
          const std = row?.format === "bcd" ? row : undefined;
          if (std && (std.length !== id.length || std.decimals !== id.decimals || std.signed !== id.signed))
            ctx.addIssue({
              code: "custom",
              path: ["identifiers", i, "di"],
              message: `${id.di} (${std.name}) is ${describeFormat(std)} in DL/T 645-${d.edition}, not ${describeFormat(id)}`,
            });
        });
      }),
  })
  .strict();
export type Dlt645Profile = z.output<typeof dlt645Profile>;
