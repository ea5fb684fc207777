export { parseHex } from "../common/hex.js";
export type { MeterDeviceStatus, MeterValue, PollOutcome, PollResult } from "../common/poller.js";
export * from "./codec.js";
export * from "./codec1997.js";
export type { DecodedDlt645Frame } from "./decode.js";
export { decodeDlt645Frame, editionOf } from "./decode.js";
export type { Dlt645DeviceConfig, Dlt645DeviceStatus, Dlt645DriverDeps } from "./driver.js";
export { Dlt645Driver } from "./driver.js";
