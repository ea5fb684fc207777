import { z } from "zod";
import { HEALTH_CHANNELS } from "../core/channels.js";
import { duration, timeOfDay } from "./duration.js";

/** One limit from the care plan: a reading at or above `at_least`, or at or below `at_most`, raises a `health` alert. */
const limitSchema = z
  .object({
    at_least: z.number().optional().describe("a reading at or above this raises a health alert"),
    at_most: z.number().optional().describe("a reading at or below this raises a health alert"),
  })
  .strict()
  .refine((l) => l.at_least !== undefined || l.at_most !== undefined, "at_least, at_most or both");

/**
 * `health:` the home's health monitors (blood pressure, weight, temperature, SpO2). Off unless the home
 * opted in: health data is sensitive. Limits are the care plan's, never a diagnosis.
 */
export const healthSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "the home agreed to send health readings (a gatt_health device is refused without it); readings are never logged",
      ),
    limits: z
      .partialRecord(z.enum(HEALTH_CHANNELS), limitSchema)
      .default({})
      .describe("care-plan thresholds, e.g. systolic_mmhg: { at_least: 180 }, spo2_pct: { at_most: 90 }"),
    regular: z
      .object({
        every: duration.prefault("1d").describe("how often the plan asks for a measurement"),
        by: timeOfDay
          .prefault("12:00")
          .describe("local time by which the day's measurement is expected (with every: 1d)"),
        devices: z
          .array(z.string().min(1))
          .default([])
          .describe("the devices of the regular measurement; empty: any health device"),
      })
      .strict()
      .optional()
      .describe(
        "a regular measurement the plan asks for: a missed one is an event for the carer, not an alarm",
      ),
  })
  .strict()
  .prefault({});
export type HealthConfig = z.output<typeof healthSchema>;
