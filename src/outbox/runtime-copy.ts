import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";

/**
 * The meta key counting the starts that opened the outbox file writable. A copy carries the count of
 * the file it was made from and never moves it, so a file whose count is still the copy's has not
 * been opened writable since: the copy continues it. (Not seq: a commit that failed as the card went
 * read-only can still reach the file's -wal and show up after the repair, with a seq the copy gave
 * to another message.)
 */
export const OPENS_KEY = "writable_opens";

/** What an outbox database (a copy, a file's image) says of its history. */
export interface CopyMark {
  /** The highest seq handed out. */
  seq: number;
  /** Writable opens of the file it is (or was copied from). */
  opens: number;
}

/**
 * Where a run on a read-only state directory keeps its outbox: a file in the runtime directory (the
 * service's `RuntimeDirectory`, a tmpfs such as /run/hearth), which outlives the process (a systemd
 * restart, a crash) but not a reboot. A later read-only run carries on with it; the first run that can
 * write the state directory again takes it back as its outbox file. So what read-only runs made (seqs,
 * alert states, the queue, delivery marks, the open `storage` alert) is neither lost nor handed out
 * again, as long as the machine is not rebooted in between.
 */
export class RuntimeCopy {
  readonly path: string;

  /** The copy's name carries a hash of the outbox path, so two agents sharing a runtime dir never meet. */
  constructor(runtimeDir: string, dbPath: string) {
    const tag = createHash("sha256").update(resolve(dbPath)).digest("hex").slice(0, 12);
    this.path = join(runtimeDir, `outbox-${tag}.db`);
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  /** The copy's seq and opens, or undefined when there is none or it cannot be read. */
  peek(): CopyMark | undefined {
    if (!this.exists()) return undefined;
    let db: Database.Database | undefined;
    try {
      db = new Database(this.path, { readonly: true, fileMustExist: true });
      return markOf(db);
    } catch {
      return undefined;
    } finally {
      db?.close();
    }
  }

  /** Writes `image` (an outbox database; none: an empty file) as the copy and opens it. */
  create(image: Buffer | undefined): Database.Database {
    this.remove();
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    writePrivate(this.path, image ?? Buffer.alloc(0));
    return new Database(this.path, { fileMustExist: true });
  }

  /** Opens the copy a read-only run before this one left. */
  open(): Database.Database {
    return new Database(this.path, { fileMustExist: true });
  }

  /** The copy as one database image, its -wal included. */
  image(): Buffer {
    const db = new Database(this.path, { readonly: true, fileMustExist: true });
    try {
      return asRollbackImage(db.serialize());
    } finally {
      db.close();
    }
  }

  /** Deletes the copy with its -wal and -shm. */
  remove(): void {
    for (const ext of ["", "-wal", "-shm"]) rmSync(this.path + ext, { force: true });
  }
}

/** Writes `bytes` to `path` through a synced temporary file and a rename: all or nothing, mode 0600. */
export function writePrivate(path: string, bytes: Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Marks a database image as a rollback-journal file (header bytes 18 and 19: 2 = WAL, 1 = rollback):
 * SQLite cannot open an image in memory that says WAL. A file opened from it goes back to WAL mode
 * when the outbox opens it.
 */
export function asRollbackImage(image: Buffer): Buffer {
  if (image.length >= 100) image.fill(1, 18, 20);
  return image;
}

/** The seq and writable opens in a database's meta (0 where a value is missing or unreadable). */
export function markOf(db: Database.Database): CopyMark {
  const get = db.prepare("SELECT value FROM meta WHERE key = ?");
  const num = (key: string) => {
    const n = Number((get.get(key) as { value: string } | undefined)?.value ?? 0);
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  };
  return { seq: num("seq"), opens: num(OPENS_KEY) };
}

/** `markOf` an image (both 0 when it cannot be read). */
export function markOfImage(image: Buffer): CopyMark {
  let mem: Database.Database | undefined;
  try {
    mem = new Database(image);
    return markOf(mem);
  } catch {
    return { seq: 0, opens: 0 };
  } finally {
    mem?.close();
  }
}

/**
 * Whether `dir` is on a filesystem that refuses writes as read-only now (EROFS). Tried by creating a
 * file: access(2) does not see an ext4 that went read-only after an error ("emergency_ro").
 */
export function dirReadOnly(dir: string): boolean {
  const probe = join(dir, ".hearth-write-probe");
  try {
    closeSync(openSync(probe, "w", 0o600));
    rmSync(probe, { force: true });
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EROFS";
  }
}
