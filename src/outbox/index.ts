export { MAX_RANGE } from "./delivery.js";
export { readOnlyKeyValue } from "./kv.js";
export { BALLAST_FILE, type OutboxOptions, SqliteOutbox, STORAGE_CHECK_MS } from "./sqlite.js";
export type { StorageFault, StorageHealth, StorageState } from "./storage-health.js";
export { type AlertStateInfo, type KeyValueStore, OUTBOX_FILE, type Outbox } from "./types.js";
