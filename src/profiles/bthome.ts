import { z } from "zod";
import { BUTTON_EVENTS, CHANNEL_NAMES } from "../core/channels.js";
import { profileIdentity, selfReporting } from "./common.js";

/** What a button event means in this home. */
export const BUTTON_ACTIONS = ["call", "i_am_fine", "activity"] as const;
export type ButtonAction = (typeof BUTTON_ACTIONS)[number];

export const bthomeProfile = z
  .object({
    ...profileIdentity,
    protocol: z.literal("bthome"),
    ...selfReporting,
    bthome: z
      .object({
        advertising_interval_s: z
          .number()
          .positive()
          .describe("longest time between two adverts in normal operation (battery reports included)"),
        battery_low_pct: z.number().min(0).max(100).default(20),
        actions: z
          .partialRecord(z.enum(BUTTON_EVENTS), z.enum(BUTTON_ACTIONS))
          .default({ press: "call" })
          .describe("what each button event means; every event also counts as activity"),
        channels: z
          .record(
            z.string().regex(/^[a-z0-9_]+$/, "a BTHome object name, e.g. battery, motion, window"),
            z.enum(CHANNEL_NAMES),
          )
          .default({ battery: "battery_pct" })
          .describe(
            "which BTHome object (by its name in the BTHome v2 spec, snake_case) feeds which channel; the object's unit must be the channel's",
          ),
      })
      .strict(),
  })
  .strict();
export type BthomeProfile = z.output<typeof bthomeProfile>;
