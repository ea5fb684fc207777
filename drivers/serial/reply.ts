import type { Logger } from "../../src/core/log.js";

/**
 * How a transaction knows its reply is whole. Returns the byte length of a complete frame at the start
 * of `rx`, 0 when more bytes are needed, or -1 when the first byte cannot start a frame (noise): that
 * byte is dropped and the check runs again on the rest, so a reply preceded by noise still resyncs.
 * -n (n > 1) drops n bytes at once: a whole frame that is not this request's answer (a late reply to
 * an earlier request), so that the answer behind it is still found within the timeout.
 */
export type FrameComplete = (rx: Buffer) => number;

/** The counters of a line that reassembling a reply moves. */
export interface ReplyStats {
  replies: number;
  droppedBytes: number;
  strayBytes: number;
}

/**
 * The bytes of one transaction as they arrive in chunks, judged by the protocol's `FrameComplete`:
 * noise and late frames in front of the answer are dropped (and counted), bytes after it are stray.
 */
export class ReplyAssembler {
  readonly #complete: FrameComplete;
  readonly #stats: ReplyStats;
  readonly #log: Logger;
  #rx: Buffer = Buffer.alloc(0);

  constructor(complete: FrameComplete, stats: ReplyStats, log: Logger) {
    this.#complete = complete;
    this.#stats = stats;
    this.#log = log;
  }

  /** What is held so far (noise already dropped), for the timeout's message. */
  get received(): Buffer {
    return this.#rx;
  }

  /** Adds a chunk; returns the whole reply once it is there. */
  push(chunk: Buffer): Buffer | undefined {
    this.#rx = this.#rx.length === 0 ? chunk : Buffer.concat([this.#rx, chunk]);
    for (;;) {
      const rx = this.#rx;
      let n: number;
      try {
        n = this.#complete(rx);
      } catch (e) {
        // A framing helper that throws is treated like garbage: drop a byte and go on.
        this.#log.debug({ err: e }, "frame check threw; dropping a byte");
        n = -1;
      }
      if (n > 0 && rx.length >= n) {
        const extra = rx.length - n;
        if (extra > 0) this.#stats.strayBytes += extra;
        this.#stats.replies++;
        return Buffer.from(rx.subarray(0, n));
      }
      if (n < 0 && rx.length > 0) {
        const drop = Math.min(-n, rx.length);
        this.#stats.droppedBytes += drop;
        this.#rx = rx.subarray(drop);
        continue;
      }
      return undefined;
    }
  }
}
