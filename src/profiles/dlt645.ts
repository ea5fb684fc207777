import { z } from "zod";
import { CHANNEL_NAMES } from "../core/channels.js";
import { profileIdentity, serialSettings, timing } from "./common.js";

export interface Dlt645StandardFormat {
  name: string;
  length: number;
  decimals: number;
  signed: boolean;
  unit: string;
}

/**
 * Formats DL/T 645-2007 appendix A gives the identifiers a household profile needs (table A.1 energy,
 * A.3 instantaneous variables). A profile that lists one of these must agree with it; the codec uses the
 * same table. Combined active energy, current, power and power factor carry a sign bit.
 */
export const DLT645_STANDARD_FORMATS: Readonly<Record<string, Dlt645StandardFormat>> = {
  "00000000": { name: "combined active energy, total", length: 4, decimals: 2, signed: true, unit: "kWh" },
  "00010000": { name: "forward active energy, total", length: 4, decimals: 2, signed: false, unit: "kWh" },
  "00020000": { name: "reverse active energy, total", length: 4, decimals: 2, signed: false, unit: "kWh" },
  "02010100": { name: "phase A voltage", length: 2, decimals: 1, signed: false, unit: "V" },
  "02020100": { name: "phase A current", length: 3, decimals: 3, signed: true, unit: "A" },
  "02030000": { name: "total active power", length: 3, decimals: 4, signed: true, unit: "kW" },
  "02060000": { name: "total power factor", length: 2, decimals: 3, signed: true, unit: "" },
  "02800002": { name: "grid frequency", length: 2, decimals: 2, signed: false, unit: "Hz" },
};

export const dlt645Identifier = z
  .object({
    name: z.string().regex(/^[a-z0-9_]+$/, "snake_case"),
    di: z
      .string()
      .regex(/^[0-9A-Fa-f]{8}$/, "8 hex digits, DI3 DI2 DI1 DI0 as written in the standard")
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
          const std = DLT645_STANDARD_FORMATS[id.di];
          if (std && (std.length !== id.length || std.decimals !== id.decimals || std.signed !== id.signed))
            ctx.addIssue({
              code: "custom",
              path: ["identifiers", i, "di"],
              message: `${id.di} (${std.name}) is ${describeFormat(std)} in DL/T 645-2007, not ${describeFormat(id)}`,
            });
        });
      }),
  })
  .strict();
export type Dlt645Profile = z.output<typeof dlt645Profile>;
