export type { SimReply, SimulatedDevice, SimulatedLineOptions } from "./line.js";
export { SimPort, SimulatedLine } from "./line.js";
export type { ServedPort, ServePortOptions } from "./serve.js";
export { servePort } from "./serve.js";
