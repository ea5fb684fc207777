import { z } from "zod";
import { profileIdentity, selfReporting } from "./common.js";

/** The Bluetooth SIG health services Hearth reads (Glucose is for a later issue). */
export const HEALTH_SERVICES = [
  "blood_pressure",
  "weight_scale",
  "health_thermometer",
  "pulse_oximeter",
] as const;

export const gattHealthProfile = z
  .object({
    ...profileIdentity,
    protocol: z.literal("gatt_health"),
    ...selfReporting,
    gatt_health: z
      .object({
        services: z
          .array(z.enum(HEALTH_SERVICES))
          .min(1)
          .describe("the standard GATT services whose measurements are read"),
        bonding: z
          .enum(["none", "required"])
          .default("none")
          .describe(
            "required: the device sends measurements only to a bonded gateway (an installer step: hearth pair <mac>)",
          ),
        multi_user: z
          .boolean()
          .default(false)
          .describe(
            "the device keeps several users' measurements (the config's user_id says which is the resident's)",
          ),
        clock_valid_from_year: z
          .number()
          .int()
          .min(1582)
          .default(2010)
          .describe(
            "a measurement time stamp before this year is a clock never set (the receive time is used instead)",
          ),
        quirks: z
          .array(z.string().min(1))
          .default([])
          .describe(
            "what this model does differently from the specification, each with where it is known from",
          ),
      })
      .strict(),
  })
  .strict();
export type GattHealthProfile = z.output<typeof gattHealthProfile>;
