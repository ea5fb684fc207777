export * from "./codec.js";
export type { Dlt645DeviceConfig, Dlt645DeviceStatus, Dlt645DriverDeps } from "./driver.js";
export { Dlt645Driver } from "./driver.js";
export type { MeterDeviceStatus, MeterValue, PollOutcome, PollResult } from "./poller.js";
