export type { ModbusClient, ReadTiming } from "./client.js";
export { parseTcpPort, RtuClient, TcpClient } from "./client.js";
export * from "./codec.js";
export type { DecodedModbusFrame, DecodeModbusOptions } from "./decode.js";
export { decodeModbusFrame } from "./decode.js";
export type {
  ModbusDeviceConfig,
  ModbusDeviceStatus,
  ModbusDriverDeps,
  ModbusValue,
  PollResult,
} from "./driver.js";
export { ModbusDriver } from "./driver.js";
export type { PlannedRead, PlanOptions } from "./plan.js";
export { planReads } from "./plan.js";
export type { RegisterFormat } from "./values.js";
export { decodeValue, encodeValue, rawValue, registerWords } from "./values.js";
