export type {
  BackoffOptions,
  RawLine,
  SerialLineEvents,
  SerialLineOptions,
  SerialLineStats,
  TransactionOptions,
} from "./line.js";
export { describeSettings, SerialLine } from "./line.js";
export type { PortListing } from "./list.js";
export { listSerialPorts } from "./list.js";
export type { LineProblem, LineUser, SerialLinePoolOptions } from "./pool.js";
export { checkLineSettings, SerialLinePool, sameSettings } from "./pool.js";
export type { FrameComplete } from "./reply.js";
