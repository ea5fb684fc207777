import { EventEmitter } from "node:events";
import { SerialPortStream } from "@serialport/stream";
import { Backoff } from "../../src/core/backoff.js";
import type { Clock, Timer } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { silentLogger } from "../../src/core/log.js";
import { SECOND_MS } from "../../src/core/time.js";
import type { SerialSettings } from "../../src/profiles/common.js";
import type { BindingInterface } from "./binding-types.js";
import { type FrameComplete, ReplyAssembler } from "./reply.js";

export interface TransactionOptions {
  /** From the end of the write to the whole reply. */
  timeoutMs: number;
  /** Silence kept on the line before this request is written (Modbus 3.5 characters, a meter's turnaround). */
  interFrameGapMs?: number;
  complete: FrameComplete;
}

/** The line, held exclusively for a protocol that needs its own byte dialogue (wake-up preambles, ...). */
export interface RawLine {
  write(data: Buffer): Promise<void>;
  /** Bytes received while the lock is held; returns the unsubscribe function. */
  onData(listener: (chunk: Buffer) => void): () => void;
}

/** The reopen back-off (src/core/backoff.ts with a fractional jitter). */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0..1: the delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
}

export interface SerialLineOptions {
  path: string;
  settings: SerialSettings;
  /** serialport binding: `autoDetect()` from @serialport/bindings-cpp in production, a simulation in tests. */
  binding: BindingInterface;
  clock: Clock;
  log?: Logger;
  /** Requests waiting behind the one in flight; more are refused. Default 32. */
  maxQueue?: number;
  backoff?: Partial<BackoffOptions>;
  /** Random source for jitter, injectable for tests. */
  random?: () => number;
}

export interface SerialLineEvents {
  open: [];
  close: [reason: string];
  error: [err: HearthError];
}

export interface SerialLineStats {
  /** Transactions started (request written or about to be). */
  transactions: number;
  /** Transactions that ended with a whole reply. */
  replies: number;
  timeouts: number;
  droppedBytes: number;
  strayBytes: number;
  opens: number;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30 * SECOND_MS, factor: 2, jitter: 0.25 };

interface Job {
  run: () => Promise<void>;
  reject: (e: HearthError) => void;
}

/**
 * The one owner of a serial port. Every user of the port (Modbus, DL/T 645, CJ/T 188 drivers) goes
 * through it, so one request is on the wire at a time whatever the protocol. When the port errors,
 * closes or vanishes, it reopens with jittered exponential back-off and resumes by itself.
 */
export class SerialLine extends EventEmitter<SerialLineEvents> {
  readonly path: string;
  readonly settings: Readonly<SerialSettings>;
  readonly stats: SerialLineStats = {
    transactions: 0,
    replies: 0,
    timeouts: 0,
    droppedBytes: 0,
    strayBytes: 0,
    opens: 0,
  };
  readonly #binding: BindingInterface;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #maxQueue: number;
  readonly #backoff: Backoff;
  #port: SerialPortStream | undefined;
  #open = false;
  #running = false;
  #reopenTimer: Timer | undefined;
  #queue: Job[] = [];
  #busy = false;
  /** Receives bytes for the job holding the line; undefined between jobs (bytes then are stray). */
  #rxListener: ((chunk: Buffer) => void) | undefined;
  /** Rejects the job holding the line when the port closes under it. */
  #abortCurrent: ((e: HearthError) => void) | undefined;
  #lastActivity = Number.NEGATIVE_INFINITY;

  constructor(options: SerialLineOptions) {
    super();
    this.path = options.path;
    this.settings = { ...options.settings };
    this.#binding = options.binding;
    this.#clock = options.clock;
    this.#log = (options.log ?? silentLogger()).child({ module: "serial", port: options.path });
    this.#maxQueue = options.maxQueue ?? 32;
    this.#backoff = new Backoff({
      ...DEFAULT_BACKOFF,
      ...options.backoff,
      random: options.random ?? Math.random,
    });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Opens the port and keeps it open (reopening after failures) until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#openNow();
  }

  /** Closes the port, cancels reopening and refuses every queued request. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#reopenTimer?.cancel();
    this.#reopenTimer = undefined;
    const stopped = () =>
      new HearthError(`Serial line ${this.path} stopped`, ErrorCode.Canceled, { port: this.path });
    const queued = this.#queue.splice(0);
    for (const job of queued) job.reject(stopped());
    this.#abortCurrent?.(stopped());
    const { port, wasOpen } = this.#detach();
    if (port) {
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      else port.destroy();
    }
    if (wasOpen) this.emit("close", "stopped");
  }

  /**
   * Writes `request` and resolves with the whole reply (as judged by `opts.complete`). Serialised with
   * every other use of the line; a port that is not open fails at once with PortClosed (transient).
   */
  transaction(request: Buffer, opts: TransactionOptions): Promise<Buffer> {
    return this.#enqueue(() => this.#runTransaction(request, opts));
  }

  /**
   * Holds the line for `fn`, which talks through `raw`. The lock is released when `fn` settles or after
   * `timeoutMs`, whichever comes first; a port closing under it rejects with PortClosed.
   */
  exclusive<T>(fn: (raw: RawLine) => Promise<T>, opts: { timeoutMs: number }): Promise<T> {
    return this.#enqueue(() => this.#runExclusive(fn, opts.timeoutMs));
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (!this.#running)
      return Promise.reject(
        new HearthError(`Serial line ${this.path} is not started`, ErrorCode.PortClosed, { port: this.path }),
      );
    if (this.#queue.length >= this.#maxQueue)
      return Promise.reject(
        new HearthError(
          `Serial line ${this.path} has ${this.#queue.length} requests waiting (limit ${this.#maxQueue}); request refused`,
          ErrorCode.QueueFull,
          { port: this.path, queued: this.#queue.length, reason: "queue full" },
        ),
      );
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        run: () => work().then(resolve, reject),
        reject,
      });
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#busy) return;
    const job = this.#queue.shift();
    if (!job) return;
    this.#busy = true;
    void job.run().finally(() => {
      this.#busy = false;
      this.#lastActivity = this.#clock.monotonicMs();
      this.#pump();
    });
  }

  #requireOpen(): SerialPortStream {
    if (!this.#open || !this.#port)
      throw new HearthError(`Serial port ${this.path} is not open`, ErrorCode.PortClosed, {
        port: this.path,
      });
    return this.#port;
  }

  async #gap(ms: number | undefined): Promise<void> {
    if (!ms) return;
    const wait = this.#lastActivity + ms - this.#clock.monotonicMs();
    if (wait <= 0) return;
    await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, wait));
  }

  async #runTransaction(request: Buffer, opts: TransactionOptions): Promise<Buffer> {
    await this.#gap(opts.interFrameGapMs);
    const port = this.#requireOpen();
    this.stats.transactions++;
    return new Promise<Buffer>((resolve, reject) => {
      const reply = new ReplyAssembler(opts.complete, this.stats, this.#log);
      let timer: Timer | undefined;
      let done = false;
      const finish = (err: HearthError | undefined, frame?: Buffer) => {
        if (done) return;
        done = true;
        timer?.cancel();
        this.#rxListener = undefined;
        this.#abortCurrent = undefined;
        if (err) reject(err);
        else resolve(frame as Buffer);
      };
      this.#abortCurrent = (e) => finish(e);
      this.#rxListener = (chunk) => {
        const frame = reply.push(chunk);
        if (frame) finish(undefined, frame);
      };
      port.write(request, (err) => {
        if (err) {
          finish(
            new HearthError(`Write to ${this.path} failed: ${err.message}`, ErrorCode.PortClosed, {
              port: this.path,
            }),
          );
          return;
        }
        if (done) return;
        timer = this.#clock.setTimeout(() => {
          this.stats.timeouts++;
          finish(
            new HearthError(
              `No complete reply on ${this.path} within ${opts.timeoutMs} ms (${reply.received.length} bytes received)`,
              ErrorCode.Timeout,
              { port: this.path, timeoutMs: opts.timeoutMs, received: reply.received.toString("hex") },
            ),
          );
        }, opts.timeoutMs);
      });
    });
  }

  async #runExclusive<T>(fn: (raw: RawLine) => Promise<T>, timeoutMs: number): Promise<T> {
    const port = this.#requireOpen();
    const listeners = new Set<(chunk: Buffer) => void>();
    this.#rxListener = (chunk) => {
      for (const l of listeners) l(chunk);
    };
    let timer: Timer | undefined;
    try {
      const raw: RawLine = {
        write: (data) =>
          new Promise<void>((resolve, reject) => {
            port.write(data, (err) =>
              err
                ? reject(
                    new HearthError(`Write to ${this.path} failed: ${err.message}`, ErrorCode.PortClosed, {
                      port: this.path,
                    }),
                  )
                : resolve(),
            );
          }),
        onData: (l) => {
          listeners.add(l);
          return () => listeners.delete(l);
        },
      };
      const aborted = new Promise<never>((_, reject) => {
        this.#abortCurrent = reject;
        timer = this.#clock.setTimeout(
          () =>
            reject(
              new HearthError(`Exclusive use of ${this.path} exceeded ${timeoutMs} ms`, ErrorCode.Timeout, {
                port: this.path,
                timeoutMs,
              }),
            ),
          timeoutMs,
        );
      });
      return await Promise.race([fn(raw), aborted]);
    } finally {
      timer?.cancel();
      this.#rxListener = undefined;
      this.#abortCurrent = undefined;
    }
  }

  #openNow(): void {
    this.#reopenTimer = undefined;
    if (!this.#running) return;
    const port = new SerialPortStream({
      binding: this.#binding,
      path: this.path,
      baudRate: this.settings.baud,
      dataBits: this.settings.data_bits,
      parity: this.settings.parity,
      stopBits: this.settings.stop_bits,
      autoOpen: false,
    });
    this.#port = port;
    port.on("data", (chunk: Buffer) => {
      if (this.#rxListener) this.#rxListener(chunk);
      else this.stats.strayBytes += chunk.length;
    });
    port.on("error", (err: Error) => {
      this.#log.warn({ err }, `Serial port ${this.path} error`);
    });
    port.on("close", (err?: Error | null) => {
      if (this.#port !== port) return;
      this.#lost(err ? errorMessage(err) : "closed");
    });
    port.open((err) => {
      if (this.#port !== port) return;
      if (err) {
        this.#lost(`open failed: ${err.message}`);
        return;
      }
      this.#open = true;
      this.#backoff.reset();
      this.stats.opens++;
      this.#log.info(`Serial port ${this.path} open (${describeSettings(this.settings)})`);
      this.emit("open");
    });
  }

  /** Lets go of the port (if any) and marks the line closed; says whether it was open. */
  #detach(): { port: SerialPortStream | undefined; wasOpen: boolean } {
    const port = this.#port;
    this.#port = undefined;
    const wasOpen = this.#open;
    this.#open = false;
    if (port) {
      port.removeAllListeners();
      // Errors on close of a port that is going away anyway are not worth reporting.
      port.on("error", () => {});
    }
    return { port, wasOpen };
  }

  /** The port closed, vanished or would not open: tell users, then schedule a reopen. */
  #lost(reason: string): void {
    const { port, wasOpen } = this.#detach();
    if (port?.isOpen) port.close();
    const err = new HearthError(`Serial port ${this.path}: ${reason}`, ErrorCode.PortClosed, {
      port: this.path,
    });
    this.#abortCurrent?.(err);
    if (wasOpen) {
      this.#log.warn(`Serial port ${this.path} lost: ${reason}`);
      this.emit("close", reason);
    }
    if (this.listenerCount("error") > 0) this.emit("error", err);
    if (!this.#running) return;
    const delay = this.#backoff.next();
    this.#log.debug(`Reopening ${this.path} in ${Math.round(delay)} ms (attempt ${this.#backoff.attempt})`);
    this.#reopenTimer = this.#clock.setTimeout(() => this.#openNow(), delay);
  }
}

export function describeSettings(s: SerialSettings): string {
  const parity = s.parity === "none" ? "N" : s.parity === "even" ? "E" : "O";
  return `${s.baud} ${s.data_bits}${parity}${s.stop_bits}`;
}
