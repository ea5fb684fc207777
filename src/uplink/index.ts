export { type BrokerCheck, checkBroker } from "./check-connect.js";
export { clientOptions, safeUrl } from "./connect-options.js";
export { MAX_IN_FLIGHT } from "./drain.js";
export { RateLimiter } from "./rate.js";
export { persistedSessions, type SessionStore } from "./session.js";
export type {
  CommandHandler,
  ConnectFn,
  UplinkEvents,
  UplinkOptions,
  UplinkSource,
  UplinkState,
} from "./types.js";
export { Uplink } from "./uplink.js";
