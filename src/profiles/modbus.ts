import { z } from "zod";
import { CHANNEL_NAMES } from "../core/channels.js";
import { profileIdentity, serialSettings, timing } from "./common.js";
import { MODBUS_TYPES } from "./modbus-types.js";

export { MODBUS_TYPE_WORDS, MODBUS_TYPES, type ModbusType } from "./modbus-types.js";

export const modbusRegister = z
  .object({
    name: z.string().regex(/^[a-z0-9_]+$/, "snake_case"),
    table: z.enum(["holding", "input"]).describe("holding: function 3; input: function 4"),
    address: z.number().int().min(0).max(0xffff).describe("0-based register address as sent on the wire"),
    type: z.enum(MODBUS_TYPES),
    word_order: z.enum(["big", "little"]).default("big").describe("big: high word first"),
    byte_order: z.enum(["big", "little"]).default("big").describe("big: high byte first within a word"),
    scale: z.number().default(1).describe("value = raw × scale"),
    decimals: z
      .number()
      .int()
      .min(0)
      .max(12)
      .optional()
      .describe(
        "decimal places the value is rounded to; default: what the register can express (float32: the shortest decimal that is the same float32; integers: the scale's decimals)",
      ),
    unit: z.string().describe("unit of the scaled value ('' for none)"),
    channel: z.enum(CHANNEL_NAMES).optional().describe("semantic channel this value feeds"),
  })
  .strict();
export type ModbusRegister = z.output<typeof modbusRegister>;

export const modbusProfile = z
  .object({
    ...profileIdentity,
    protocol: z.literal("modbus"),
    serial: serialSettings.prefault({}),
    timing: timing.prefault({}),
    modbus: z
      .object({
        max_registers_per_read: z.number().int().min(1).max(125).default(125),
        max_gap: z.number().int().min(0).max(125).default(8).describe("unused registers a read may span"),
        registers: z.array(modbusRegister).min(1),
      })
      .strict(),
  })
  .strict();
export type ModbusProfile = z.output<typeof modbusProfile>;
