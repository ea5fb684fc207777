export { MAX_RANGE, MAX_RESEND } from "./delivery.js";
export { readOnlyKeyValue } from "./kv.js";
export { type OutboxOptions, SqliteOutbox } from "./sqlite.js";
export {
  type AlertStateInfo,
  type KeyValueStore,
  OUTBOX_FILE,
  type Outbox,
  type ResendResult,
} from "./types.js";
