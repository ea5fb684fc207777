export { MAX_RANGE } from "./delivery.js";
export { readOnlyKeyValue } from "./kv.js";
export { type OutboxOptions, SqliteOutbox } from "./sqlite.js";
export { type AlertStateInfo, type KeyValueStore, OUTBOX_FILE, type Outbox } from "./types.js";
