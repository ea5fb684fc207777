export { MAX_RANGE } from "./delivery.js";
export { type OutboxOptions, SqliteOutbox } from "./sqlite.js";
export type { AlertStateInfo, KeyValueStore, Outbox } from "./types.js";
