import { z } from "zod";
import { CHANNEL_NAMES } from "./channels.js";
import { profileIdentity, serialSettings, timing } from "./common.js";

export const dlt645Identifier = z
  .object({
    name: z.string().regex(/^[a-z0-9_]+$/, "snake_case"),
    di: z.string().regex(/^[0-9A-Fa-f]{8}$/, "8 hex digits, DI3 DI2 DI1 DI0 as written in the standard"),
    length: z.number().int().min(1).max(32).describe("data bytes of the value"),
    decimals: z.number().int().min(0).max(8).describe("BCD digits after the decimal point"),
    signed: z.boolean().default(false).describe("highest bit of the top byte is the sign"),
    unit: z.string(),
    scale: z.number().default(1),
    channel: z.enum(CHANNEL_NAMES).optional(),
  })
  .strict();
export type Dlt645Identifier = z.output<typeof dlt645Identifier>;

export const dlt645Profile = z
  .object({
    ...profileIdentity,
    protocol: z.literal("dlt645"),
    serial: serialSettings.prefault({ baud: 2400, parity: "even" }),
    timing: timing.prefault({}),
    dlt645: z.object({ identifiers: z.array(dlt645Identifier).min(1) }).strict(),
  })
  .strict();
export type Dlt645Profile = z.output<typeof dlt645Profile>;
