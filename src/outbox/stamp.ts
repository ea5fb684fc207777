/** The outbox stamps with the contract's formatter; kept as a name for the outbox tests. */
export { createStamper } from "../contract/timestamps.js";
