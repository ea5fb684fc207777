import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Logger } from "../core/log.js";
import type { OutboxDb } from "./db.js";
import { openNewCopy } from "./recover.js";
import { asRollbackImage, dirReadOnly, markOfImage, type RuntimeCopy } from "./runtime-copy.js";

/**
 * When the state directory has turned read-only under the open outbox file, moves the outbox, as it
 * is (read through the open connection, -wal included), to a copy in the runtime directory, or into
 * memory when that cannot be made; true when it moved. The caller's ledger stays: it may count
 * messages held in memory, which the storage guard writes into the copy next.
 */
export function leaveReadOnlyDir(db: OutboxDb, runtime: RuntimeCopy | undefined, log: Logger): boolean {
  const { path } = db;
  if (path === ":memory:" || !dirReadOnly(dirname(path))) return false;
  let image: Buffer;
  try {
    image = asRollbackImage(db.need().serialize());
  } catch (e) {
    log.error({ err: e, path }, "The state directory turned read-only and the outbox cannot be read");
    return false;
  }
  try {
    db.close();
  } catch (e) {
    log.warn({ err: e, path }, "Closing the outbox on a read-only filesystem failed");
  }
  const fileSeq = markOfImage(image).seq;
  if (runtime) {
    try {
      openNewCopy(db, runtime, image);
      log.error(
        { path, copy: runtime.path, file_seq: fileSeq },
        "The state directory turned read-only: the outbox moved to a copy in the runtime directory",
      );
      return true;
    } catch (e) {
      db.close();
      log.warn({ err: e, copy: runtime.path }, "Could not make the outbox copy in the runtime directory");
    }
  }
  try {
    db.adopt(new Database(image));
  } catch (e) {
    // Nothing open now: later writes fail as closed and go to the memory lane.
    log.error({ err: e, path }, "The state directory turned read-only and the outbox could not be copied");
    return false;
  }
  log.error(
    { path, file_seq: fileSeq },
    "The state directory turned read-only: the outbox moved into memory",
  );
  return true;
}
