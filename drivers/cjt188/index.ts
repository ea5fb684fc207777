export * from "./codec.js";
export type { DecodedCjt188Frame } from "./decode.js";
export { decodeCjt188Frame } from "./decode.js";
export type { Cjt188DeviceConfig, Cjt188DeviceStatus, Cjt188DriverDeps } from "./driver.js";
export { Cjt188Driver } from "./driver.js";
export * from "./meter-replies.js";
export * from "./units.js";
