import { z } from "zod";
import { DURATION_TEXT, parseDuration } from "../core/duration.js";

/** Parts shared by every profile, whatever its protocol. */
export const profileIdentity = {
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and '-'")
    .describe("Unique id, referenced by `profile:` in a home's config"),
  version: z.number().int().min(1).describe("Revision of this profile; bump it on any change"),
  manufacturer: z.string().min(1),
  model: z.string().min(1),
  description: z.string().min(1),
  kind: z.enum(["electricity_meter", "water_meter", "button", "sensor", "health_monitor"]),
  source: z
    .string()
    .min(1)
    .describe("The manual or standard this profile was written from (title, version, where to find it)"),
};

export const serialSettings = z
  .object({
    baud: z.number().int().positive().default(9600),
    data_bits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(["none", "even", "odd"]).default("none"),
    stop_bits: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .strict();
export type SerialSettings = z.output<typeof serialSettings>;

export const timing = z
  .object({
    response_timeout_ms: z.number().int().positive().default(500),
    inter_frame_gap_ms: z.number().int().nonnegative().default(0),
    retries: z.number().int().nonnegative().default(1),
    poll_interval_s: z.number().positive().default(30),
  })
  .strict();
export type Timing = z.output<typeof timing>;

/**
 * How often a device that reports by itself (not one Hearth polls) is heard when it is well: a duration
 * (its heartbeat or beacon period, the longest gap in normal operation), or `on_change` when it sends
 * only on an event and has no heartbeat. Output: milliseconds, or "on_change".
 */
export const heardEvery = z
  .string()
  .regex(
    new RegExp(`^on_change$|${DURATION_TEXT.source}`),
    'a duration such as "55m" or "1h" (the device\'s heartbeat period), or on_change (no heartbeat: it sends only when something happens)',
  )
  // Only a well-formed duration is checked here: the pattern above has already named any other text.
  .refine((v) => !DURATION_TEXT.test(v) || (parseDuration(v) ?? 0) > 0, "a duration longer than 0")
  .transform((v): number | "on_change" => (v === "on_change" ? v : (parseDuration(v) as number)));
export type HeardEvery = z.output<typeof heardEvery>;

/** The part of a self-reporting device's profile that says how its silence is judged (src/pipeline/coverage.ts). */
export const selfReporting = {
  heard_every: heardEvery
    .optional()
    .describe(
      "how often the device is heard when well (its heartbeat), or on_change (no heartbeat); silence is judged against the longer of detection.degraded_after and 2.5 × this, never for on_change; absent: degraded_after",
    ),
};
