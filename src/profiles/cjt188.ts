import { z } from "zod";
import { profileIdentity, serialSettings, timing } from "./common.js";

export const cjt188Profile = z
  .object({
    ...profileIdentity,
    protocol: z.literal("cjt188"),
    serial: serialSettings.prefault({ baud: 2400, parity: "even" }),
    timing: timing.prefault({}),
    cjt188: z
      .object({
        meter_type: z
          .number()
          .int()
          .min(0)
          .max(0xff)
          .describe("T byte: 0x10 cold water, 0x11 hot water, 0x12 drinking water, 0x13 reclaimed water"),
        di_order: z
          .enum(["standard", "swapped"])
          .default("standard")
          .describe("standard: DI 901F sent as 90 1F; swapped: 1F 90, as some meters expect"),
        preamble: z.number().int().min(0).max(4).default(2).describe("FE wake-up bytes before each request"),
      })
      .strict(),
  })
  .strict();
export type Cjt188Profile = z.output<typeof cjt188Profile>;
