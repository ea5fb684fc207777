/**
 * The Modbus value types and the registers each occupies, as plain data: the driver decodes with them
 * and the agent loads no zod for it (the profile schema, modbus.ts, builds on these).
 */
export const MODBUS_TYPES = ["u16", "s16", "u32", "s32", "float32", "u64", "s64", "float64"] as const;
export type ModbusType = (typeof MODBUS_TYPES)[number];
/** Registers each type occupies. */
export const MODBUS_TYPE_WORDS: Record<ModbusType, number> = {
  u16: 1,
  s16: 1,
  u32: 2,
  s32: 2,
  float32: 2,
  u64: 4,
  s64: 4,
  float64: 4,
};
