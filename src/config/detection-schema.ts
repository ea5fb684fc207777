import { z } from "zod";
import { duration, timeOfDay } from "./duration.js";
import { outingSchema } from "./outing-schema.js";
import { checkinSchema, prealarmSchema } from "./prealarm-schema.js";

/** The config's `detection` section: silence limits, the routine, the pre-alarm, the daily summary, outings. */
const window = z
  .object({
    start: timeOfDay,
    end: timeOfDay,
  })
  .strict();

const silenceWindow = z
  .object({
    start: timeOfDay,
    end: timeOfDay,
    max_silence: duration.describe("longest silence while local time is in this window"),
  })
  .strict();

export const detectionSchema = z
  .object({
    sleep_window: window.prefault({ start: "22:00", end: "07:00" }).describe("usual night, local time"),
    max_silence_day: duration
      .prefault("7h")
      .describe("longest silence outside the sleep window before an inactivity alert"),
    max_silence_night: duration.prefault("12h").describe("longest silence across the sleep window"),
    windows: z
      .array(silenceWindow)
      .default([])
      .describe("time-of-day windows with their own day limit (the first that contains the time wins)"),
    morning_deadline: timeOfDay
      .prefault("10:00")
      .describe("alert when there has been no activity since the end of the sleep window by this time"),
    morning_min_silence: duration
      .prefault("4h")
      .describe(
        "the morning deadline alerts only after at least this much silence (early risers who went out)",
      ),
    lights_on_after: duration
      .prefault("2h")
      .describe(
        "this far into the sleep window, lights or television left on (more power than on usual nights) and a long silence alert; 0: off",
      ),
    lights_on_silence: duration.prefault("2h").describe("the silence the lights-left-on check needs"),
    escalate_after: duration.prefault("1h").describe("raised → escalated when nothing happens for this long"),
    power_step_w: z
      .number()
      .positive()
      .default(150)
      .describe("until the home's fridge and standby are learned (a day), a rise in power this big counts"),
    min_step_w: z
      .number()
      .positive()
      .default(25)
      .describe("no power step smaller than this counts, however quiet the meter"),
    water_resolution_l: z
      .number()
      .positive()
      .default(1)
      .describe("smallest rise of the water total that counts (the meter's resolution, litres)"),
    leak_after: duration.prefault("2h").describe("water flowing without a pause this long is a leak alert"),
    leak_gap: duration
      .prefault("20m")
      .describe("flow with pauses no longer than this is one continuous flow (for leaks)"),
    degraded_after: duration
      .prefault("45m")
      .describe("a meter or sensor silent this long is a monitoring_degraded alert naming the sense"),
    outage_voltage_v: z.number().positive().default(100).describe("mains below this is a power cut"),
    gateway_power: z
      .enum(["auto", "off"])
      .default("auto")
      .describe(
        "auto: the gateway's own power supply (Linux power_supply class, e.g. a UPS HAT) running on battery is a power_outage; off: only meter voltage tells",
      ),
    watch: z
      .enum(["away", "normal", "heightened"])
      .default("normal")
      .describe("watch level at start; the cloud's watch command changes it"),
    heightened_factor: z
      .number()
      .gt(0)
      .lte(1)
      .default(0.5)
      .describe("heightened watch multiplies every silence limit by this"),
    routine: z
      .object({
        enabled: z.boolean().default(true).describe("false: rules alone"),
        learning_days: z
          .number()
          .int()
          .min(1)
          .default(14)
          .describe("days of history before the learned routine is used (rules alone until then)"),
        alpha: z
          .number()
          .gt(0)
          .lt(1)
          .optional()
          .describe(
            "alert when the silence so far had less than this probability under the routine; default 0.001, 0.0003 where a motion or presence sensor is configured",
          ),
        min_silence: duration.prefault("2h").describe("the routine never alerts on a shorter silence"),
        adapt_weeks: z
          .number()
          .min(1)
          .default(8)
          .describe("how slowly the routine follows a change of habit (weeks)"),
      })
      .strict()
      .prefault({})
      .describe("the learned hour-of-week routine; it never alerts later than the rules"),
    prealarm: prealarmSchema,
    checkin: checkinSchema,
    summary: z
      .object({
        enabled: z.boolean().default(true).describe("send the daily visit record"),
        meter_values: z
          .boolean()
          .default(true)
          .describe("include water and energy used in it (privacy: false keeps meter values at home)"),
      })
      .strict()
      .prefault({})
      .describe("the daily summary message"),
    outing: outingSchema,
  })
  .strict();
export type DetectionConfig = z.output<typeof detectionSchema>;
