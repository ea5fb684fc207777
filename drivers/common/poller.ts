import type { Clock, Timer } from "../../src/core/clock.js";
import { ErrorCode, errorMessage, HearthError, isHearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import type { Reading, ReadingSink } from "../../src/core/readings.js";

/**
 * The one meter-poll engine, shared by the Modbus, DL/T 645 and CJ/T 188 drivers: one schedule per
 * meter, each read tried as often as the profile says, availability (online at the first answer,
 * offline after N polls without one), counters and the log lines an installer reads. Each driver
 * supplies how to poll one meter; nothing a meter sends can throw out of here.
 */

export interface MeterValue {
  name: string;
  value: number;
  unit: string;
}

export interface PollOutcome {
  /** The meter said something valid (data or an abnormal reply): it is there. */
  answered: boolean;
  readings: Reading[];
  values: MeterValue[];
  /** One per item that failed after its retries. */
  errors: HearthError[];
}

export interface PollResult {
  device: string;
  ok: boolean;
  values: MeterValue[];
  errors: HearthError[];
}

export interface MeterDeviceStatus {
  id: string;
  availability: "unknown" | "online" | "offline";
  consecutiveFailures: number;
  polls: number;
  failedPolls: number;
  /** Replies that were corrupt or not what was asked (checksum, truncated, malformed, unexpected). */
  badFrames: number;
  timeouts: number;
  /**
   * Refusals (DeviceException): the meter is there and said no — a Modbus exception, a DL/T 645
   * abnormal reply, a CJ/T 188 error reply.
   */
  exceptions: number;
  lastError?: string;
}

export interface PollerDeps {
  sink: ReadingSink;
  clock: Clock;
  log: Logger;
  /** Consecutive failed polls before a meter is reported offline. Default 3. */
  offlineAfter?: number;
  /** What the log lines call one polled thing: "meter" (default) or "device". */
  noun?: string;
}

/** One read after its retries: the value, or the error of the last attempt (none when stopped first). */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; error?: HearthError };

const BAD_FRAME_CODES = new Set<number>([
  ErrorCode.FrameChecksum,
  ErrorCode.FrameTruncated,
  ErrorCode.FrameMalformed,
  ErrorCode.FrameUnexpected,
  ErrorCode.FrameUnsupported,
]);

/**
 * Waits (up to `ms`) for a line that is still opening, so the first poll after start or a reopen does
 * not count as a failure of the meter. Resolves either way; the transaction reports a closed port.
 */
export function whenOpen(
  line: {
    isOpen: boolean;
    once(event: "open", fn: () => void): unknown;
    off(event: "open", fn: () => void): unknown;
  },
  clock: Clock,
  ms: number,
): Promise<void> {
  if (line.isOpen) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      timer.cancel();
      line.off("open", done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    line.once("open", done);
  });
}

/** A thrown value as a HearthError naming the device (Internal for anything that is not one already). */
function asHearthError(e: unknown, device: string): HearthError {
  return isHearthError(e)
    ? e
    : new HearthError(errorMessage(e), ErrorCode.Internal, { device }, { cause: e });
}

function isBadFrame(e: HearthError): boolean {
  return BAD_FRAME_CODES.has(e.code);
}

interface Entry {
  intervalMs: number;
  pollOnce: () => Promise<PollOutcome>;
  timer: Timer | undefined;
  polling: Promise<PollResult> | undefined;
  status: MeterDeviceStatus;
}

export class MeterPoller {
  readonly #protocol: string;
  readonly #noun: string;
  readonly #deps: PollerDeps;
  /** Keyed by device id. */
  readonly #entries = new Map<string, Entry>();
  #running = false;

  constructor(protocol: string, deps: PollerDeps) {
    this.#protocol = protocol;
    this.#noun = deps.noun ?? "meter";
    this.#deps = deps;
  }

  get running(): boolean {
    return this.#running;
  }

  add(id: string, intervalMs: number, pollOnce: () => Promise<PollOutcome>): void {
    this.#entries.set(id, {
      intervalMs,
      pollOnce,
      timer: undefined,
      polling: undefined,
      status: {
        id,
        availability: "unknown",
        consecutiveFailures: 0,
        polls: 0,
        failedPolls: 0,
        badFrames: 0,
        timeouts: 0,
        exceptions: 0,
      },
    });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const [id, e] of this.#entries) e.timer = this.#deps.clock.setTimeout(() => this.#tick(id, e), 0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    const entries = [...this.#entries.values()];
    for (const e of entries) e.timer?.cancel();
    await Promise.allSettled(entries.map((e) => e.polling));
  }

  clear(): void {
    this.#entries.clear();
  }

  status(): MeterDeviceStatus[] {
    return [...this.#entries.values()].map((e) => ({ ...e.status }));
  }

  pollNow(id: string): Promise<PollResult> {
    const e = this.#entries.get(id);
    if (!e)
      return Promise.reject(
        new HearthError(`No ${this.#protocol} device ${id}`, ErrorCode.ConfigInvalid, { device: id }),
      );
    return this.#poll(id, e);
  }

  /**
   * One read of meter `id` with `retries` more attempts after the first (while the poller runs). Every
   * failed attempt is counted; a refusal (DeviceException) is not retried, since asking again will not
   * change the meter's mind. `what` names the read in the debug line of a retried attempt.
   */
  async read<T>(
    id: string,
    what: string,
    retries: number,
    attempt: () => Promise<T>,
  ): Promise<ReadResult<T>> {
    let error: HearthError | undefined;
    for (let n = 0; n <= retries && this.#running; n++) {
      try {
        return { ok: true, value: await attempt() };
      } catch (e) {
        error = asHearthError(e, id);
        this.count(id, error);
        if (error.code === ErrorCode.DeviceException || n === retries) break;
        this.#deps.log.debug(
          { device: id, code: error.code, attempt: n + 1 },
          `Read of ${id}${what ? ` ${what}` : ""} failed (attempt ${n + 1}/${retries + 1}): ${error.message}`,
        );
      }
    }
    return error ? { ok: false, error } : { ok: false };
  }

  /** Counts one failed attempt; `read` calls it for every error, retried or not. */
  count(id: string, err: HearthError): void {
    const s = this.#entries.get(id)?.status;
    if (!s) return;
    s.lastError = err.message;
    if (err.code === ErrorCode.Timeout) s.timeouts++;
    else if (err.code === ErrorCode.DeviceException) s.exceptions++;
    else if (isBadFrame(err)) {
      s.badFrames++;
      // Bad bytes are normal on RS-485: worth a warning naming the meter, never an exception.
      this.#deps.log.warn(
        { device: id, code: err.code, offset: err.context.offset },
        `Bad ${this.#protocol} frame from ${id}: ${err.message}`,
      );
    }
  }

  #tick(id: string, e: Entry): void {
    e.timer = undefined;
    if (!this.#running) return;
    const started = this.#deps.clock.monotonicMs();
    void this.#poll(id, e).finally(() => {
      if (!this.#running || this.#entries.get(id) !== e) return;
      const wait = Math.max(0, started + e.intervalMs - this.#deps.clock.monotonicMs());
      e.timer = this.#deps.clock.setTimeout(() => this.#tick(id, e), wait);
    });
  }

  #poll(id: string, e: Entry): Promise<PollResult> {
    if (e.polling !== undefined) return e.polling;
    const p = this.#pollGuarded(id, e).finally(() => {
      e.polling = undefined;
    });
    e.polling = p;
    return p;
  }

  async #pollGuarded(id: string, e: Entry): Promise<PollResult> {
    let outcome: PollOutcome;
    try {
      outcome = await e.pollOnce();
    } catch (err) {
      // A bug in a driver's poll must not stop the schedule: report it as a failed poll.
      const he = asHearthError(err, id);
      this.#deps.log.error({ device: id, err: he }, `${this.#protocol} poll of ${id} failed unexpectedly`);
      outcome = { answered: false, readings: [], values: [], errors: [he] };
    }
    e.status.polls++;
    if (outcome.readings.length > 0) this.#deps.sink.readings(outcome.readings);
    // A poll cut short by stop() says nothing about the meter.
    if (this.#running) this.#settle(id, e.status, outcome);
    return { device: id, ok: outcome.errors.length === 0, values: outcome.values, errors: outcome.errors };
  }

  #settle(id: string, s: MeterDeviceStatus, o: PollOutcome): void {
    const log = this.#deps.log;
    if (o.answered) {
      s.consecutiveFailures = 0;
      if (s.availability !== "online") {
        s.availability = "online";
        log.info({ device: id }, `${this.#protocol} ${this.#noun} ${id} is online`);
        this.#deps.sink.availability(id, "online", "answered a poll");
      }
      // The meter answers but a read failed or was refused: at the level an installer sees by default.
      for (const err of o.errors)
        log.warn({ device: id, code: err.code }, `${this.#protocol} ${this.#noun} ${id}: ${err.message}`);
      return;
    }
    s.failedPolls++;
    s.consecutiveFailures++;
    const reason = o.errors[0]?.message ?? "no answer";
    const limit = this.#deps.offlineAfter ?? 3;
    if (s.availability !== "offline")
      log.warn(
        { device: id, code: o.errors[0]?.code, failures: s.consecutiveFailures },
        `Poll of ${this.#protocol} ${this.#noun} ${id} failed (${s.consecutiveFailures}/${limit}): ${reason}`,
      );
    if (s.consecutiveFailures >= limit && s.availability !== "offline") {
      s.availability = "offline";
      this.#deps.sink.availability(
        id,
        "offline",
        `${s.consecutiveFailures} consecutive polls failed; last: ${reason}`,
      );
    }
  }
}
