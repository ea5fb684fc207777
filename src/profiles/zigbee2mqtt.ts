import { z } from "zod";
import { BUTTON_EVENTS, CHANNEL_NAMES } from "../core/channels.js";
import { BUTTON_ACTIONS } from "./bthome.js";
import { profileIdentity, selfReporting } from "./common.js";

/** A Zigbee2MQTT state property (an expose's `property`), as it appears in the device's JSON. */
const propertyName = z
  .string()
  .regex(/^[a-z0-9_]+$/, "a Zigbee2MQTT expose property, e.g. occupancy, contact, fall_status");

/**
 * How one property becomes a channel's value. A boolean is 1/0 (`invert` flips it: Zigbee2MQTT's
 * `contact` is true when the door is closed); a number is taken as it is; a string (an enum expose)
 * is 1 when listed in `on`, 0 when listed in `off`, dropped quietly when listed in `ignore`, and
 * dropped with a warning otherwise.
 */
const exposeMapping = z
  .object({
    channel: z.enum(CHANNEL_NAMES),
    invert: z.boolean().default(false).describe("a boolean's true means 0 (e.g. contact: true = closed)"),
    on: z.array(z.string().min(1)).default([]).describe("enum values that mean 1"),
    off: z.array(z.string().min(1)).default([]).describe("enum values that mean 0"),
    ignore: z
      .array(z.string().min(1))
      .default([])
      .describe("enum values known to carry no reading (dropped without a warning)"),
  })
  .strict();
export type ExposeMapping = z.output<typeof exposeMapping>;

export const zigbee2mqttProfile = z
  .object({
    ...profileIdentity,
    protocol: z.literal("zigbee2mqtt"),
    ...selfReporting,
    zigbee2mqtt: z
      .object({
        exposes: z
          .record(propertyName, z.union([z.enum(CHANNEL_NAMES), exposeMapping]))
          .default({})
          .describe(
            "which state property feeds which channel: a channel name, or { channel, invert, on, off, ignore }",
          ),
        action_events: z
          .record(z.string().min(1), z.enum(BUTTON_EVENTS))
          .default({})
          .describe(
            "which value of the `action` property is which button event (single → press); values not listed are ignored",
          ),
        actions: z
          .partialRecord(z.enum(BUTTON_EVENTS), z.enum(BUTTON_ACTIONS))
          .default({ press: "call" })
          .describe("what each button event means; every event also counts as activity"),
      })
      .strict(),
  })
  .strict();
export type Zigbee2mqttProfile = z.output<typeof zigbee2mqttProfile>;
export type Zigbee2mqttSpec = Zigbee2mqttProfile["zigbee2mqtt"];
