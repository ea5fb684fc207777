import { z } from "zod";
import { duration } from "./duration.js";

/**
 * `sms`: the second path for calls and falls, a cellular modem driven by ModemManager over D-Bus
 * (src/cellular). Absent: no modem code is loaded and nothing about modems is reported.
 */
export const smsSchema = z
  .object({
    numbers: z
      .array(
        z
          .string()
          .regex(
            /^\+?[0-9]{3,20}$/,
            'a phone number: digits with an optional leading "+", e.g. "+8613800138000"',
          ),
      )
      .min(1)
      .max(10)
      .describe("who gets the SMS, in this order (international format recommended)"),
    after: duration
      .prefault("60s")
      .describe(
        "a call or fall the broker has not acknowledged this long after it was raised goes out by SMS",
      ),
    language: z
      .enum(["zh", "yue", "en"])
      .optional()
      .describe("the text's language; default: the speaker's language (outputs.speaker.language), else en"),
    degraded_after: duration
      .prefault("2m")
      .describe(
        "no modem, no SIM, no registration or no signal for this long is a monitoring_degraded alert (sense cellular)",
      ),
    poll: duration.prefault("30s").describe("how often the modem's state is read from ModemManager"),
  })
  .strict()
  .describe("SMS fallback through a cellular modem (ModemManager) for calls and falls; default none");
export type SmsConfig = z.output<typeof smsSchema>;
