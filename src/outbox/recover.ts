import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { LANES } from "../contract/stored.js";
import { ErrorCode, errorMessage, isHearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { Ledger, OutboxDb } from "./db.js";
import { laneSeqKey } from "./ledger.js";
import {
  asRollbackImage,
  type CopyMark,
  markOf,
  markOfImage,
  OPENS_KEY,
  type RuntimeCopy,
  writePrivate,
} from "./runtime-copy.js";
import { SET_META } from "./schema.js";
import type { SeqFloor } from "./seq-floor.js";
import type { StorageFaultReason } from "./storage-health.js";

/** How the outbox came up: on its file, or from memory because the file could not be used. */
export interface Opened {
  ledger: Ledger;
  /**
   * `file`: the outbox file as usual; `memory`: not the outbox file (a copy in the runtime directory or
   * in memory), nothing written to the state directory.
   */
  backing: "file" | "memory";
  /** With `memory`: the runtime copy's path, when the copy is there rather than in memory. */
  copy?: string;
  /** What went wrong at the start, if anything: raised as a `storage` alert. */
  fault?: { reason: StorageFaultReason; detail: string; moved_to?: string };
}

/** `outbox.db.corrupt-20260302T010203Z`: the UTC time the file was moved aside. */
export function corruptName(path: string, wallMs: number): string {
  return `${path}.corrupt-${stampOf(wallMs)}`;
}

function stampOf(wallMs: number): string {
  return new Date(wallMs)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/**
 * Opens the outbox whatever state its file is in, so that the agent (and its call button) always
 * starts. A corrupt file is moved aside with its -wal and -shm (kept for analysis) and a fresh one
 * opened; a file or directory that cannot be written is copied into the runtime directory (`runtime`,
 * see runtime-copy.ts; into memory when there is none), so queued messages are still delivered;
 * anything else runs on an empty outbox in memory. seq starts above everything this gateway handed
 * out before (the old file's meta, best effort, the seq mark, and a runtime copy left by a read-only
 * run, which the first writable run takes back as its file).
 */
export function openResilient(
  db: OutboxDb,
  floor: SeqFloor,
  wallMs: number,
  log: Logger,
  runtime?: RuntimeCopy,
): Opened {
  const path = db.path;
  const left = runtime?.exists() ? { mark: runtime.peek() } : undefined;
  const mark = () => Math.max(floor.read(), left?.mark?.seq ?? 0);
  let first: unknown;
  try {
    let ledger = db.open();
    if (runtime && left) ledger = takeBack(db, ledger, runtime, left.mark, wallMs, log);
    countWritableOpen(db);
    // The file is new but the gateway handed out seqs before (the file was deleted by hand).
    if (ledger.lastSeq === 0) {
      const m = mark();
      startAbove(db, ledger, m);
      // A sound but empty file where the mark says messages were made (truncated to nothing, deleted):
      // what it queued is gone, and the lanes jump; the storage alert tells the cloud why.
      if (m > 0) {
        const detail = `the outbox file held no history, though its seq mark (${m}) says this gateway made messages before`;
        log.error({ path, last_seq: ledger.lastSeq }, "Outbox history is gone: started above the seq mark");
        return { ledger, backing: "file", fault: { reason: "corrupt", detail } };
      }
    } else if (floor.heldByLastRun()) startAboveHeld(db, ledger, floor, log);
    return { ledger, backing: "file" };
  } catch (e) {
    first = e;
  }
  if (isHearthError(first, ErrorCode.OutboxCorrupt)) {
    const old = oldSeq(path);
    let moved: string | undefined;
    try {
      moved = moveAside(path, wallMs);
      const ledger = db.open();
      countWritableOpen(db);
      startAbove(db, ledger, Math.max(old, mark()));
      log.error(
        { err: first, path, moved_to: moved, last_seq: ledger.lastSeq },
        "Outbox file is corrupt: moved aside, started a fresh one",
      );
      return {
        ledger,
        backing: "file",
        fault: { reason: "corrupt", detail: errorMessage(causeOf(first)), moved_to: moved },
      };
    } catch (e) {
      log.error({ err: e, path }, "Could not replace the corrupt outbox file: running from memory");
      const ledger = fresh(db);
      startAbove(db, ledger, Math.max(old, mark()));
      return {
        ledger,
        backing: "memory",
        fault: {
          reason: "corrupt",
          detail: `${errorMessage(causeOf(first))}; ${errorMessage(causeOf(e))}`,
          ...(moved !== undefined ? { moved_to: moved } : {}),
        },
      };
    }
  }
  const readOnly = isHearthError(first, ErrorCode.OutboxReadOnly);
  const image = readOnly ? readOnlyImage(path, log) : undefined;
  const onCopy = readOnly && runtime ? runtimeCopy(db, runtime, image, left?.mark, log) : undefined;
  const ledger = onCopy ?? (image ? db.adopt(new Database(image)) : fresh(db));
  // A copy too starts above the mark in seq and in every lane: nothing this run hands out reaches the
  // file, so the next writable run starts from the file's numbers, which must stay below these
  // (unless it takes back the runtime copy, which carries these numbers on).
  startAbove(db, ledger, mark());
  log.error(
    { err: first, path, copied: image !== undefined, ...(onCopy ? { copy: runtime?.path } : {}) },
    readOnly
      ? `Outbox cannot be written (read-only): running from ${onCopy ? "a copy in the runtime directory" : "memory"}`
      : "Outbox cannot be opened: running from memory",
  );
  return {
    ledger,
    backing: "memory",
    ...(onCopy && runtime ? { copy: runtime.path } : {}),
    fault: { reason: readOnly ? "read_only" : "io", detail: errorMessage(causeOf(first)) },
  };
}

/**
 * The state directory is writable and a read-only run left its copy in the runtime directory. When the
 * copy continues this file (made from it, and no start has opened the file writable since: the same
 * count of writable opens), it becomes the file: what the read-only runs made, delivered and closed
 * carries on. Otherwise (an unreadable copy, or a file opened writable since) the copy is kept beside
 * the file for analysis and seq starts above it.
 */
function takeBack(
  db: OutboxDb,
  ledger: Ledger,
  runtime: RuntimeCopy,
  mark: CopyMark | undefined,
  wallMs: number,
  log: Logger,
): Ledger {
  const path = db.path;
  if (mark && mark.opens === markOf(db.need()).opens) {
    let image: Buffer;
    try {
      image = runtime.image();
    } catch (e) {
      log.error({ err: e, copy: runtime.path }, "Could not read the read-only run's outbox copy");
      return keepAside(db, ledger, runtime, mark, wallMs, log);
    }
    db.close();
    try {
      for (const ext of ["-wal", "-shm"]) rmSync(path + ext, { force: true });
      writePrivate(path, image);
    } catch (e) {
      // The file is as it was (the rename is the last step): carry on with it, above the copy's seqs.
      const back = db.open();
      log.error({ err: e, path, copy: runtime.path }, "Could not take back the read-only run's outbox copy");
      startAbove(db, back, mark.seq);
      return back;
    }
    const taken = db.open();
    runtime.remove();
    // A commit that failed as the card went read-only can have reached the file after all: its seq
    // was never published, but stays unused all the same.
    if (ledger.lastSeq > taken.lastSeq) startAbove(db, taken, ledger.lastSeq);
    log.warn(
      { path, copy: runtime.path, from_seq: ledger.lastSeq, last_seq: taken.lastSeq },
      "Took back the outbox of the read-only run: the state directory is writable again",
    );
    return taken;
  }
  return keepAside(db, ledger, runtime, mark, wallMs, log);
}

function keepAside(
  db: OutboxDb,
  ledger: Ledger,
  runtime: RuntimeCopy,
  mark: CopyMark | undefined,
  wallMs: number,
  log: Logger,
): Ledger {
  const to = `${db.path}.readonly-${stampOf(wallMs)}`;
  try {
    writePrivate(to, readFileSync(runtime.path));
    runtime.remove();
  } catch (e) {
    log.warn(
      { err: e, copy: runtime.path },
      "Could not keep the read-only run's outbox copy beside the file",
    );
  }
  startAbove(db, ledger, mark?.seq ?? 0);
  log.error(
    { path: db.path, copy: runtime.path, kept_as: to, copy_seq: mark?.seq, copy_opens: mark?.opens },
    "A read-only run's outbox copy does not continue this file: kept it aside, seq starts above it",
  );
  return ledger;
}

/**
 * Writes `image` (the outbox file as it is, or none) as the runtime copy and opens it as the outbox;
 * returns the copy's counters. Throws what the filesystem or SQLite throws.
 */
export function openNewCopy(db: OutboxDb, runtime: RuntimeCopy, image: Buffer | undefined): Ledger {
  return db.adopt(runtime.create(image), true);
}

/** Counts one more start that opened the file writable (see OPENS_KEY). */
function countWritableOpen(db: OutboxDb): void {
  db.stmt(SET_META).run(OPENS_KEY, String(markOf(db.need()).opens + 1));
}

/**
 * Runs a read-only start on the runtime copy: the one an earlier read-only run left when it continues
 * the file as it is now (see takeBack), or a new one made from the file's `image`. Undefined (the caller runs from
 * memory) when the runtime directory cannot be used.
 */
function runtimeCopy(
  db: OutboxDb,
  runtime: RuntimeCopy,
  image: Buffer | undefined,
  left: CopyMark | undefined,
  log: Logger,
): Ledger | undefined {
  const file = image ? markOfImage(image) : { seq: 0, opens: 0 };
  try {
    if (left && left.opens === file.opens) {
      log.info(
        { copy: runtime.path, last_seq: left.seq },
        "Carrying on with the read-only run's outbox copy",
      );
      return db.adopt(runtime.open(), true);
    }
    if (left || runtime.exists())
      log.warn(
        { copy: runtime.path, left, file },
        "Replacing a runtime outbox copy made from another file state",
      );
    return openNewCopy(db, runtime, image);
  } catch (e) {
    db.close();
    log.warn(
      { err: e, copy: runtime.path },
      "Could not keep the outbox copy in the runtime directory: using memory",
    );
    return undefined;
  }
}

/**
 * A ledger whose history is gone starts above `floor` in seq AND in every lane: a lane_seq is never
 * above the seq of its message, so no lane number handed out before can come again. The receiver sees
 * a jump in each lane, which the storage alert explains: what the lost file held is unknown.
 */
function startAbove(db: OutboxDb, ledger: Ledger, floor: number): void {
  if (floor <= 0) return;
  ledger.lastSeq = Math.max(ledger.lastSeq, floor);
  for (const lane of LANES) ledger.laneSeq[lane] = Math.max(ledger.laneSeq[lane], floor);
  // Stored at once: a lane that stays unused this run must still start above the floor after a restart.
  const set = db.stmt(SET_META);
  db.need().transaction(() => {
    set.run("seq", String(ledger.lastSeq));
    for (const lane of LANES) set.run(laneSeqKey(lane), String(ledger.laneSeq[lane]));
  })();
}

/**
 * The last run died holding messages in memory: they went out with seqs the file never got. Start
 * above the mark that covered them (a jump the storage alert of that run explains); if the disk still
 * refuses, the next start tries again.
 */
function startAboveHeld(db: OutboxDb, ledger: Ledger, floor: SeqFloor, log: Logger): void {
  const from = ledger.lastSeq;
  try {
    startAbove(db, ledger, floor.read());
    floor.released();
    log.warn({ from, to: ledger.lastSeq }, "The last run held messages in memory: seq starts above its mark");
  } catch (e) {
    log.warn({ err: e, from, to: ledger.lastSeq }, "Could not store the seq above the held messages' mark");
  }
}

function causeOf(e: unknown): unknown {
  return (e as { cause?: unknown } | undefined)?.cause ?? e;
}

function fresh(db: OutboxDb): Ledger {
  return db.adopt(new Database(":memory:"));
}

/**
 * The file's bytes as a database image (better-sqlite3's serialize), or undefined when it cannot be
 * read. A WAL file on a read-only filesystem cannot always be opened by SQLite (it wants its -shm):
 * then its bytes are read as they are and marked as a rollback-journal file, which loses only what was
 * still in the -wal (the last commits before the filesystem went read-only).
 */
function readOnlyImage(path: string, log: Logger): Buffer | undefined {
  if (!existsSync(path)) return undefined;
  let ro: Database.Database | undefined;
  try {
    ro = new Database(path, { readonly: true, fileMustExist: true });
    return asRollbackImage(ro.serialize());
  } catch (e) {
    log.warn({ err: e, path }, "Could not open the read-only outbox: copying its bytes");
  } finally {
    ro?.close();
  }
  try {
    return asRollbackImage(readFileSync(path));
  } catch (e) {
    log.warn({ err: e, path }, "Could not copy the read-only outbox: starting empty");
    return undefined;
  }
}

/** The highest seq the old file knew, read-only and best effort (0 when unreadable). */
function oldSeq(path: string): number {
  let ro: Database.Database | undefined;
  try {
    ro = new Database(path, { readonly: true, fileMustExist: true });
    const meta = ro.prepare("SELECT value FROM meta WHERE key = 'seq'").get() as
      | { value: string }
      | undefined;
    const n = Number(meta?.value ?? 0);
    return Number.isSafeInteger(n) ? n : 0;
  } catch {
    return 0;
  } finally {
    ro?.close();
  }
}

/** Renames the file and its -wal/-shm beside it; returns the new name of the file. */
function moveAside(path: string, wallMs: number): string {
  const to = corruptName(path, wallMs);
  renameSync(path, to);
  // A stale -wal left under the old name would be replayed into the fresh file: a failure here
  // throws, and the agent runs from memory instead.
  for (const ext of ["-wal", "-shm"]) if (existsSync(path + ext)) renameSync(path + ext, to + ext);
  return to;
}
