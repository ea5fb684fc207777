export type { ModbusClient, ReadTiming } from "./client.js";
export { parseTcpPort, RtuClient } from "./client.js";
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
export * from "./mbap.js";
export type { ModbusRequest, ModbusResponse } from "./pdu.js";
export {
  decodeRequestPdu,
  decodeResponsePdu,
  encodeRequestPdu,
  encodeResponsePdu,
  isException,
  registersOf,
} from "./pdu.js";
export type { PlannedRead, PlanOptions } from "./plan.js";
export { planReads } from "./plan.js";
export * from "./rtu.js";
export * from "./tables.js";
export { TcpClient, type TcpClientOptions } from "./tcp-client.js";
export type { RegisterFormat } from "./values.js";
export { decodeValue, encodeValue, rawValue, registerWords } from "./values.js";
