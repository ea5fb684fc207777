import { existsSync, readFileSync, renameSync } from "node:fs";
import Database from "better-sqlite3";
import { LANES } from "../contract/stored.js";
import { ErrorCode, errorMessage, isHearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { Ledger, OutboxDb } from "./db.js";
import { laneSeqKey } from "./ledger.js";
import type { SeqFloor } from "./seq-floor.js";
import type { StorageFaultReason } from "./storage-health.js";

/** How the outbox came up: on its file, or from memory because the file could not be used. */
export interface Opened {
  ledger: Ledger;
  /** `file`: the outbox file as usual; `memory`: a copy in memory, nothing written to disk. */
  backing: "file" | "memory";
  /** What went wrong at the start, if anything: raised as a `storage` alert. */
  fault?: { reason: StorageFaultReason; detail: string; moved_to?: string };
}

/** `outbox.db.corrupt-20260302T010203Z`: the UTC time the file was moved aside. */
export function corruptName(path: string, wallMs: number): string {
  const stamp = new Date(wallMs)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${path}.corrupt-${stamp}`;
}

/**
 * Opens the outbox whatever state its file is in, so that the agent (and its call button) always
 * starts. A corrupt file is moved aside with its -wal and -shm (kept for analysis) and a fresh one
 * opened; a file or directory that cannot be written is copied into memory (queued messages are still
 * delivered); anything else runs on an empty outbox in memory. seq starts above everything this
 * gateway handed out before (the old file's meta, best effort, and the seq mark).
 */
export function openResilient(db: OutboxDb, floor: SeqFloor, wallMs: number, log: Logger): Opened {
  const path = db.path;
  let first: unknown;
  try {
    const ledger = db.open();
    // The file is new but the gateway handed out seqs before (the file was deleted by hand).
    if (ledger.lastSeq === 0) {
      const mark = floor.read();
      startAbove(db, ledger, mark);
      // A sound but empty file where the mark says messages were made (truncated to nothing, deleted):
      // what it queued is gone, and the lanes jump; the storage alert tells the cloud why.
      if (mark > 0) {
        const detail = `the outbox file held no history, though its seq mark (${mark}) says this gateway made messages before`;
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
      startAbove(db, ledger, Math.max(old, floor.read()));
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
      startAbove(db, ledger, Math.max(old, floor.read()));
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
  const copy = readOnly ? memoryCopy(db, log) : undefined;
  const ledger = copy ?? fresh(db);
  // A copy too starts above the mark in seq and in every lane: nothing this run hands out reaches the
  // file, so the next writable run starts from the file's numbers, which must stay below these.
  startAbove(db, ledger, floor.read());
  log.error(
    { err: first, path, copied: copy !== undefined },
    readOnly
      ? "Outbox cannot be written (read-only): running from memory"
      : "Outbox cannot be opened: running from memory",
  );
  return {
    ledger,
    backing: "memory",
    fault: { reason: readOnly ? "read_only" : "io", detail: errorMessage(causeOf(first)) },
  };
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
  const set = db.stmt(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  );
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
 * The file read-only into memory (better-sqlite3's serialize), or undefined when it cannot be read.
 * A WAL file on a read-only filesystem cannot always be opened by SQLite (it wants its -shm): then its
 * bytes are read as they are and marked as a rollback-journal file, which loses only what was still
 * in the -wal (the last commits before the filesystem went read-only).
 */
function memoryCopy(db: OutboxDb, log: Logger): Ledger | undefined {
  if (!existsSync(db.path)) return undefined;
  let ro: Database.Database | undefined;
  try {
    ro = new Database(db.path, { readonly: true, fileMustExist: true });
    const image = ro.serialize();
    ro.close();
    ro = undefined;
    return db.adopt(new Database(image));
  } catch (e) {
    ro?.close();
    log.warn({ err: e, path: db.path }, "Could not open the read-only outbox: copying its bytes");
  }
  try {
    const image = readFileSync(db.path);
    // Header bytes 18 and 19: file format write/read version, 2 = WAL, 1 = rollback journal.
    if (image.length >= 100) image.fill(1, 18, 20);
    return db.adopt(new Database(image));
  } catch (e) {
    log.warn({ err: e, path: db.path }, "Could not copy the read-only outbox into memory: starting empty");
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
