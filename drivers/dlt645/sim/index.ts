export type { Dlt645Fault, Dlt645MeterOptions, SimIdentifier } from "./meter.js";
export { Dlt645Meter } from "./meter.js";
