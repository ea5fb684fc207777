export type { Cjt188Fault, Cjt188MeterOptions, Cjt188ReplyShape } from "./meter.js";
export { Cjt188Meter } from "./meter.js";
