import { z } from "zod";
import { duration } from "./duration.js";

/**
 * `detection.outing`: outings seen by an entrance door sensor (src/pipeline/outings.ts). No effect in a
 * home without a device reporting the `door` channel.
 */
export const outingSchema = z
  .object({
    settle: duration
      .prefault("15m")
      .describe(
        "after an entrance door event with no sign of anyone inside for this long, the person is out (silence is then not counted)",
      ),
    max_day: duration.prefault("6h").describe("an outing longer than this raises a not_home alert"),
    sleep_grace: duration
      .prefault("1h")
      .describe(
        "an outing still going this long after the start of the sleep window raises a not_home alert",
      ),
    doors: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "device ids of the entrance doors; empty: every device with the door channel (list the entrance when a fridge or cupboard has a contact too)",
      ),
  })
  .strict()
  .prefault({})
  .describe(
    "outings seen by an entrance door sensor (a device with the door channel); no effect without one",
  );
