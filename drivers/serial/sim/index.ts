export type { SimReply, SimulatedDevice, SimulatedLineOptions } from "./line.js";
export { SimPort, SimulatedLine } from "./line.js";
