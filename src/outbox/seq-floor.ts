import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import type { Logger } from "../core/log.js";

/** Seqs reserved at a time, at least: one small fsynced file write per this many messages. */
export const SEQ_BLOCK = 1000;
/**
 * At most this many, when messages come fast: the mark then covers about RATE_WINDOW_MS at the rate the
 * last block was used, so a burst (a large home, a benchmark) pays one fsync per minute or so, not one
 * per SEQ_BLOCK messages. A home's usual rate (a few messages a minute) keeps SEQ_BLOCK.
 */
export const MAX_SEQ_BLOCK = 100_000;
export const RATE_WINDOW_MS = 60_000;
/**
 * Seqs reserved when the disk fills: the mark cannot be moved while it is full, and messages held in
 * memory meanwhile go out with seqs a restart must not hand out again.
 */
export const FULL_DISK_RESERVE = 100_000;

/**
 * A high-water mark for seq kept beside the outbox (`outbox.db.seq`): before a seq above it is handed
 * out, the mark is moved a block ahead and synced. When the outbox file is lost (moved aside as
 * corrupt, deleted, or unwritable), the fresh one starts above the mark, so a seq is never reused for
 * this gateway even though its history is gone. Failures to write it are logged, never thrown: the
 * agent keeps running, and the file written last still bounds what was handed out before.
 */
export class SeqFloor {
  readonly #path: string | undefined;
  /**
   * The mark renamed while messages are held in memory: their seqs were published but are not in the
   * outbox file, so a start that finds the mark under this name (the process died holding them) starts
   * above the mark, not at the file's last seq. A rename, because it needs no free block on a full disk.
   */
  readonly #heldPath: string | undefined;
  readonly #log: Logger;
  #reserved: number;
  #warned = false;
  #holding = false;
  /** When the mark was last moved (monotonic ms), and from where: the rate the next block is sized by. */
  #movedAtMs: number | undefined;
  #movedFrom = 0;
  readonly #nowMs: () => number;

  /**
   * `dbPath` undefined (an outbox in memory): nothing is kept. `nowMs`: a monotonic clock in ms, only to
   * size blocks by the rate they are used (tests give their own).
   */
  constructor(dbPath: string | undefined, log: Logger, nowMs: () => number = () => performance.now()) {
    this.#path = dbPath === undefined ? undefined : `${dbPath}.seq`;
    this.#heldPath = dbPath === undefined ? undefined : `${dbPath}.seq.held`;
    this.#log = log;
    this.#nowMs = nowMs;
    this.#reserved = this.read();
  }

  /** How far ahead of `seq` the mark moves: SEQ_BLOCK, or about RATE_WINDOW_MS of the current rate. */
  #block(seq: number): number {
    const now = this.#nowMs();
    const since = this.#movedAtMs === undefined ? undefined : now - this.#movedAtMs;
    const used = seq - this.#movedFrom;
    this.#movedAtMs = now;
    this.#movedFrom = seq;
    if (since === undefined || since >= RATE_WINDOW_MS || used <= 0) return SEQ_BLOCK;
    const atRate = Math.ceil((used * RATE_WINDOW_MS) / Math.max(since, 1));
    return Math.min(MAX_SEQ_BLOCK, Math.max(SEQ_BLOCK, atRate));
  }

  /** The mark on disk, under either name (0 when there is none or it cannot be read). */
  read(): number {
    return Math.max(readMark(this.#path), readMark(this.#heldPath));
  }

  /** Whether the last run died (or stopped) while messages were held in memory only. */
  heldByLastRun(): boolean {
    return this.#heldPath !== undefined && !this.#holding && existsSync(this.#heldPath);
  }

  /** Messages are being held in memory: marks the mark so (once, until `released`). */
  holding(): void {
    if (this.#path === undefined || this.#heldPath === undefined || this.#holding) return;
    this.#holding = true;
    try {
      renameSync(this.#path, this.#heldPath);
    } catch (e) {
      this.#log.warn({ err: e, path: this.#path }, "Failed to mark the seq mark as held in memory");
    }
  }

  /** Nothing is held in memory (any more): the seqs handed out are all in the outbox file. */
  released(): void {
    if (this.#path === undefined || this.#heldPath === undefined) return;
    if (!this.#holding && !existsSync(this.#heldPath)) return;
    try {
      renameSync(this.#heldPath, this.#path);
      this.#holding = false;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") this.#holding = false;
      else this.#log.warn({ err: e, path: this.#heldPath }, "Failed to restore the seq mark");
    }
  }

  /** Makes sure seqs up to `seq` are covered by the mark on disk (moving it a block ahead if not). */
  cover(seq: number): void {
    if (this.#path === undefined || seq <= this.#reserved) return;
    const next = seq + this.#block(seq);
    const tmp = `${this.#path}.tmp`;
    try {
      const fd = openSync(tmp, "w", 0o600);
      try {
        writeSync(fd, `${next}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.#holding && this.#heldPath !== undefined ? this.#heldPath : this.#path);
      this.#reserved = next;
      this.#warned = false;
    } catch (e) {
      // Not fatal: the outbox itself still stores meta.seq; the mark only matters if the file is lost.
      if (!this.#warned) this.#log.warn({ err: e, path: this.#path, seq }, "Failed to write the seq mark");
      this.#warned = true;
    }
  }
}

function readMark(path: string | undefined): number {
  if (path === undefined) return 0;
  try {
    const n = Number(readFileSync(path, "utf8").trim());
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}
