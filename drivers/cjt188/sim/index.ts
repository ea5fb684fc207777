export type { Cjt188Fault, Cjt188MeterOptions } from "./meter.js";
export { Cjt188Meter } from "./meter.js";
