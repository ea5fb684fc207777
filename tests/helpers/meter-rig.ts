import { afterEach } from "vitest";
import type { BindingInterface } from "../../drivers/serial/binding-types.js";
import type { BackoffOptions } from "../../drivers/serial/line.js";
import { SerialLinePool } from "../../drivers/serial/pool.js";
import { SimulatedLine, type SimulatedLineOptions } from "../../drivers/serial/sim/index.js";
import { type Clock, VirtualClock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/log.js";
import { HOUR_MS, SECOND_MS } from "../../src/core/time.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import type { SerialSettings, Timing } from "../../src/profiles/common.js";
import type { ModbusProfile } from "../../src/profiles/modbus.js";
import { captureLog } from "./log-capture.js";
import { RecordingReadingSink } from "./reading-sink.js";
import { runUntil, waitFor } from "./wait.js";

/**
 * What the meter-driver tests (Modbus, DL/T 645, CJ/T 188, the probe) set up alike: a simulated RS-485
 * line, one pool of serial lines on it, a recording sink and a captured log, all on a virtual clock,
 * and the drivers started on them, stopped after the test. On a virtual clock a 250 ms reply timeout
 * costs no real time and cannot be missed by a loaded machine.
 */

/** The line every simulated Modbus test meter shares (the SDM120's factory default is 2400 8N1). */
export const LINE_9600_8N1: SerialSettings = { baud: 9600, data_bits: 8, parity: "none", stop_bits: 1 };

/** Timing for tests that poll by hand (`pollNow`): the schedule's next poll is an hour away. */
export const POLLED_BY_HAND: Timing = {
  response_timeout_ms: 250,
  inter_frame_gap_ms: 0,
  retries: 1,
  poll_interval_s: HOUR_MS / SECOND_MS,
};

/** A catalogue Modbus profile on `LINE_9600_8N1`, polled every 30 ms with 150 ms timeouts and one retry. */
export function fastModbusProfile(id: string, timing: Partial<Timing> = {}): ModbusProfile {
  const p = loadCatalogue().profiles.get(id);
  if (p?.protocol !== "modbus") throw new Error(`test setup: no modbus profile ${id}`);
  return {
    ...p,
    serial: LINE_9600_8N1,
    timing: { response_timeout_ms: 150, inter_frame_gap_ms: 0, retries: 1, poll_interval_s: 0.03, ...timing },
  };
}

export interface MeterRigOptions {
  /**
   * Default: a virtual clock. Tests on real ports (socat ptys, outside tools) pass a `SystemClock`: the
   * kernel and the other processes move bytes in real time, which a virtual clock cannot stop.
   */
  clock?: Clock;
  /** Default: a `SimulatedLine` on the rig's clock, with `line`'s options. */
  binding?: BindingInterface;
  line?: Omit<SimulatedLineOptions, "clock">;
  /** The lines' reopen back-off; default quick (10–40 ms). */
  backoff?: Partial<BackoffOptions>;
}

interface Stoppable {
  start(): void;
  stop(): Promise<void>;
}

export class MeterRig {
  readonly clock: Clock;
  /** The simulated line (undefined when the rig was given a real binding). */
  readonly sim: SimulatedLine | undefined;
  readonly lines: SerialLinePool;
  readonly sink = new RecordingReadingSink();
  readonly log: Logger;
  /** Every log line, parsed (debug and up). */
  readonly logged: Record<string, unknown>[];
  readonly #stops: (() => Promise<void>)[] = [];
  readonly #after: (() => Promise<void> | void)[] = [];

  constructor(options: MeterRigOptions = {}) {
    this.clock = options.clock ?? new VirtualClock();
    this.sim = options.binding ? undefined : new SimulatedLine({ ...options.line, clock: this.clock });
    const captured = captureLog();
    this.log = captured.log;
    this.logged = captured.lines;
    this.lines = new SerialLinePool({
      binding: options.binding ?? (this.sim as SimulatedLine),
      clock: this.clock,
      backoff: options.backoff ?? { initialMs: 10, maxMs: 40, jitter: 0.2 },
    });
  }

  /** The simulated line, for tests that plug, unplug and record on it. */
  get line(): SimulatedLine {
    if (!this.sim) throw new Error("test setup: this rig runs on a real binding");
    return this.sim;
  }

  /** What a meter driver takes: the rig's sink, clock, lines and log, with `more` on top. */
  deps<M extends object>(more?: M) {
    return { sink: this.sink, clock: this.clock, lines: this.lines, log: this.log, ...more };
  }

  /** Starts `driver` and stops it after the test, before the lines close. */
  start<D extends Stoppable>(driver: D): D {
    this.#stops.push(() => driver.stop());
    driver.start();
    return driver;
  }

  /** Runs `fn` after the test, once the drivers and lines have stopped (last registered, first run). */
  after(fn: () => Promise<void> | void): void {
    this.#after.push(fn);
  }

  /** Waits until `cond` holds: timer by timer on a virtual clock, polling in real time otherwise. */
  until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
    if (this.clock instanceof VirtualClock) return runUntil(this.clock, what, cond, { timeoutMs });
    return waitFor(what, cond, { timeoutMs });
  }

  /** Settles `p` while the clock runs (a poll waiting for its timeout, a stop waiting for a poll). */
  async run<T>(p: Promise<T>, what = "the call to settle"): Promise<T> {
    let settled = false;
    const watched = p.finally(() => {
      settled = true;
    });
    // The outcome is taken from `watched` below; this only keeps an early rejection from going unhandled.
    watched.catch(() => undefined);
    await this.until(what, () => settled);
    return watched;
  }

  /** Until every line is open: drivers start polling once their line is. */
  opened(): Promise<void> {
    return this.until("every line open", () => this.lines.lines().every((l) => l.isOpen));
  }

  async stop(): Promise<void> {
    for (const stop of this.#stops.splice(0).reverse()) await this.run(stop(), "the drivers to stop");
    await this.run(this.lines.stop(), "the lines to close");
    for (const fn of this.#after.splice(0).reverse()) await fn();
  }
}

/** A maker of rigs for one test file; every rig it made is stopped after each test. */
export function meterRigs(): (options?: MeterRigOptions) => MeterRig {
  const made: MeterRig[] = [];
  afterEach(async () => {
    for (const rig of made.splice(0)) await rig.stop();
  });
  return (options) => {
    const rig = new MeterRig(options);
    made.push(rig);
    return rig;
  };
}
