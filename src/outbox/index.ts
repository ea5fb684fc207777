export { MAX_RANGE, type OutboxOptions, SqliteOutbox } from "./sqlite.js";
export type { AlertStateInfo, KeyValueStore, Lane, Outbox, StoredMessage } from "./types.js";
export { LANE_OF, LANES } from "./types.js";
