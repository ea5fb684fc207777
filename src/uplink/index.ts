export { Backoff } from "./backoff.js";
export { clientOptions, safeUrl } from "./connect-options.js";
export { RateLimiter } from "./rate.js";
export type { CommandHandler, UplinkEvents, UplinkOptions, UplinkSource, UplinkState } from "./types.js";
export { MAX_IN_FLIGHT, Uplink } from "./uplink.js";
