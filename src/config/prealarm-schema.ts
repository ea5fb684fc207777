import { z } from "zod";
import { duration, timeOfDay } from "./duration.js";

/** `detection.prealarm`: the local "are you all right?" before an inactivity alert (src/pipeline/prealarm.ts). */
export const prealarmSchema = z
  .object({
    enabled: z
      .enum(["auto", "on", "off"])
      .default("auto")
      .describe(
        "ask the person before an inactivity alert; auto: on only where an audible output (speaker or buzzer) is configured",
      ),
    wait: duration.prefault("10m").describe("how long the pre-alarm waits for an answer; 0 turns it off"),
    in_sleep_window: z
      .enum(["never", "lights_on", "always"])
      .default("lights_on")
      .describe(
        "inside the sleep window: never prompt (alert at once), prompt only when lights are on, or always prompt",
      ),
    limits: z
      .object({
        max_silence_day: duration
          .optional()
          .describe(
            "day limit used while the pre-alarm is on; default 6 h for meters and a button, 3 h 50 min where a motion or presence sensor is configured (docs/DETECTION.md)",
          ),
        routine_alpha: z
          .number()
          .gt(0)
          .lt(1)
          .optional()
          .describe(
            "routine alpha used while the pre-alarm is on; default 0.002 for meters and a button, 0.0003 where a motion or presence sensor is configured",
          ),
        min_silence: duration.optional().describe("routine minimum silence used while the pre-alarm is on"),
        usual_stillness: z
          .enum(["auto", "on", "off"])
          .default("auto")
          .describe(
            "while the pre-alarm is on, also ask when a daytime silence is longer than this home has been still around this hour in the last four weeks (learned; after two weeks); auto: on where a motion or presence sensor is configured",
          ),
      })
      .strict()
      .prefault({})
      .describe(
        "shorter limits, affordable because the person answers the prompts that would have been false alarms",
      ),
  })
  .strict()
  .prefault({})
  .describe('the local "are you all right?" prompt before an inactivity alert');

/** `detection.checkin`: the optional daily "I am fine" (src/pipeline/checkin.ts). */
export const checkinSchema = z
  .object({
    by: timeOfDay
      .optional()
      .describe(
        'the person presses "I am fine" between the end of the sleep window and this time; absent: no check-in',
      ),
  })
  .strict()
  .prefault({})
  .describe("the optional daily check-in");
