/** Simulators: for tests, the demo and `hearth sim`; never imported by production code. */
export type { SimReply, SimulatedDevice, SimulatedLineOptions } from "../../serial/sim/index.js";
export { SimulatedLine } from "../../serial/sim/index.js";
export type { ModbusFault, SimulatedModbusMeterOptions } from "./meter.js";
export { SimulatedModbusMeter } from "./meter.js";
export type { ModbusTcpServer } from "./tcp-server.js";
export { startModbusTcpServer } from "./tcp-server.js";
