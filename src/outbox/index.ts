export { MAX_RANGE, MAX_RESEND } from "./delivery.js";
export { inspectOutbox, type OutboxInspection } from "./inspect.js";
export { readOnlyKeyValue } from "./kv.js";
export { BALLAST_FILE, type OutboxOptions, SqliteOutbox, STORAGE_CHECK_MS } from "./sqlite.js";
export type { StorageFault, StorageHealth, StorageState } from "./storage-health.js";
export {
  type AlertStateInfo,
  type KeyValueStore,
  OUTBOX_FILE,
  type Outbox,
  type ResendResult,
} from "./types.js";
