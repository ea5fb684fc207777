/** The reference receiver (`hearth receiver`): the cloud end of contract v1. */
export { openStore } from "./store/open.js";
export type { ReceiverStore } from "./store/types.js";
