import { closeSync, existsSync, fsyncSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "../core/log.js";

/** Room kept beyond the ballast before it is (re)created: the disk must have this much more free. */
export const BALLAST_MARGIN_BYTES = 1024 * 1024;
const CHUNK = 64 * 1024;

/** Free bytes for an unprivileged writer in the filesystem holding `dir`, or undefined if unknown. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * A file of real (not sparse) blocks kept in the state directory so that space can be given back to
 * the outbox the moment the disk is full: deleting it lets the alert that hit SQLITE_FULL be written.
 * Created only when the disk has room for it and a margin; recreated when space returns.
 */
export class Ballast {
  readonly path: string;
  readonly #bytes: number;
  readonly #log: Logger;

  constructor(path: string, bytes: number, log: Logger) {
    this.path = path;
    this.#bytes = Math.max(0, Math.floor(bytes));
    this.#log = log;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get present(): boolean {
    return this.#bytes > 0 && existsSync(this.path);
  }

  /** Creates the file when missing and the disk has room; true when it is in place afterwards. */
  ensure(): boolean {
    if (this.#bytes === 0) return true;
    if (existsSync(this.path)) return true;
    const free = freeBytes(dirname(this.path));
    if (free === undefined || free < this.#bytes + BALLAST_MARGIN_BYTES) return false;
    try {
      const fd = openSync(this.path, "w", 0o600);
      try {
        const zeros = Buffer.alloc(CHUNK);
        for (let left = this.#bytes; left > 0; left -= CHUNK) writeSync(fd, zeros, 0, Math.min(CHUNK, left));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.#log.info({ path: this.path, bytes: this.#bytes }, "Storage ballast in place");
      return true;
    } catch (e) {
      rmSync(this.path, { force: true });
      this.#log.warn({ err: e, path: this.path }, "Could not create the storage ballast");
      return false;
    }
  }

  /** Deletes the file; true when there was one to give back. */
  release(): boolean {
    if (!this.present) return false;
    try {
      rmSync(this.path, { force: true });
      this.#log.warn({ path: this.path, bytes: this.#bytes }, "Storage ballast released to make room");
      return true;
    } catch (e) {
      this.#log.error({ err: e, path: this.path }, "Could not release the storage ballast");
      return false;
    }
  }
}
