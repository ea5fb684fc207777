/** The reference receiver (`hearth receiver`): the cloud end of contract v1. */
export { parseReceiverConfig, receiverOptions } from "./config.js";
export type { Decision, DecisionSink } from "./decisions.js";
export { type AckMode, Receiver, type ReceiverOptions } from "./receiver.js";
export { openStore } from "./store/open.js";
export type { ReceiverStore } from "./store/types.js";
export { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, webhookSignature } from "./webhook.js";
