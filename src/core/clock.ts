/**
 * Time, injected. Silence and back-off are measured on `monotonicMs`; wall time is only a label on
 * data, and may be wrong (a Pi has no RTC) until `wallSynced()` turns true.
 */

import { ErrorCode, HearthError } from "./errors.js";

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on a clock that never goes back; its zero means nothing. */
  monotonicMs(): number;
  /** Milliseconds since the Unix epoch, as the system believes it. */
  wallMs(): number;
  /** Whether wall time is trusted (NTP has synced, or the operator says so). */
  wallSynced(): boolean;
  setTimeout(fn: () => void, ms: number): Timer;
  setInterval(fn: () => void, ms: number): Timer;
}

export interface SystemClockOptions {
  /** Decides whether wall time is trusted; default: trusted. */
  synced?: () => boolean;
  /**
   * Where a throw out of a timer body goes. Given, every timer body is guarded: the error is handed
   * here and the timer keeps running (the agent logs it). Not given, it reaches the process.
   */
  onTimerError?: (err: unknown) => void;
}

/** `fn` with its throws handed to `onError` (when there is one), so one bad run never stops a timer. */
function guarded(fn: () => void, onError: ((err: unknown) => void) | undefined): () => void {
  if (!onError) return fn;
  return () => {
    try {
      fn();
    } catch (e) {
      onError(e);
    }
  };
}

export class SystemClock implements Clock {
  readonly #synced: () => boolean;
  readonly #onError: ((err: unknown) => void) | undefined;
  constructor(options: SystemClockOptions = {}) {
    this.#synced = options.synced ?? (() => true);
    this.#onError = options.onTimerError;
  }
  monotonicMs(): number {
    return performance.now();
  }
  wallMs(): number {
    return Date.now();
  }
  wallSynced(): boolean {
    return this.#synced();
  }
  setTimeout(fn: () => void, ms: number): Timer {
    const h = setTimeout(guarded(fn, this.#onError), Math.max(0, ms));
    return { cancel: () => clearTimeout(h) };
  }
  setInterval(fn: () => void, ms: number): Timer {
    const h = setInterval(guarded(fn, this.#onError), Math.max(1, ms));
    return { cancel: () => clearInterval(h) };
  }
}

/**
 * A clock that runs `factor` times faster than real time, for the demo: a simulated day passes in
 * seconds while timers still fire from the real event loop.
 */
export class ScaledClock implements Clock {
  readonly #factor: number;
  readonly #realStart = performance.now();
  readonly #wallStart: number;
  constructor(factor: number, wallStartMs: number) {
    if (!(factor > 0))
      throw new HearthError(`ScaledClock factor must be > 0, got ${factor}`, ErrorCode.Internal, { factor });
    this.#factor = factor;
    this.#wallStart = wallStartMs;
  }
  get factor(): number {
    return this.#factor;
  }
  monotonicMs(): number {
    return (performance.now() - this.#realStart) * this.#factor;
  }
  wallMs(): number {
    return this.#wallStart + this.monotonicMs();
  }
  wallSynced(): boolean {
    return true;
  }
  setTimeout(fn: () => void, ms: number): Timer {
    const h = setTimeout(fn, Math.max(0, ms / this.#factor));
    return { cancel: () => clearTimeout(h) };
  }
  setInterval(fn: () => void, ms: number): Timer {
    const h = setInterval(fn, Math.max(1, ms / this.#factor));
    return { cancel: () => clearInterval(h) };
  }
}

interface PendingTimer {
  at: number;
  order: number;
  fn: () => void;
  every?: number;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. Timers fire in time order as `advanceTo` passes them, exactly
 * as they would live; used by tests and by `hearth replay`.
 */
export class VirtualClock implements Clock {
  #mono: number;
  #wallOffset: number;
  #synced: boolean;
  #order = 0;
  #timers: PendingTimer[] = [];

  constructor(options: { wallStartMs?: number; monotonicStartMs?: number; synced?: boolean } = {}) {
    this.#mono = options.monotonicStartMs ?? 0;
    this.#wallOffset = (options.wallStartMs ?? Date.UTC(2026, 0, 1)) - this.#mono;
    this.#synced = options.synced ?? true;
  }
  monotonicMs(): number {
    return this.#mono;
  }
  wallMs(): number {
    return this.#mono + this.#wallOffset;
  }
  wallSynced(): boolean {
    return this.#synced;
  }
  /** Sets wall time (as an NTP sync would), optionally marking it synced. Monotonic time is unchanged. */
  setWall(wallMs: number, synced = true): void {
    this.#wallOffset = wallMs - this.#mono;
    this.#synced = synced;
  }
  setTimeout(fn: () => void, ms: number): Timer {
    return this.#add(fn, Math.max(0, ms));
  }
  setInterval(fn: () => void, ms: number): Timer {
    return this.#add(fn, Math.max(1, ms), Math.max(1, ms));
  }
  /** Time of the next pending timer, if any. */
  nextTimerAt(): number | undefined {
    let best: number | undefined;
    for (const t of this.#timers) if (!t.cancelled && (best === undefined || t.at < best)) best = t.at;
    return best;
  }
  /** Moves monotonic (and wall) time forward to `mono`, firing every timer due on the way, in order. */
  advanceTo(mono: number): void {
    if (mono < this.#mono)
      throw new HearthError(`VirtualClock cannot go back (${mono} < ${this.#mono})`, ErrorCode.Internal, {
        to: mono,
        now: this.#mono,
      });
    for (;;) {
      const next = this.#popDue(mono);
      if (!next) break;
      this.#mono = next.at;
      if (next.every !== undefined) {
        next.at += next.every;
        next.order = this.#order++;
        this.#timers.push(next);
      }
      next.fn();
    }
    this.#mono = mono;
  }
  advanceBy(ms: number): void {
    this.advanceTo(this.#mono + ms);
  }
  #add(fn: () => void, ms: number, every?: number): Timer {
    const t: PendingTimer = { at: this.#mono + ms, order: this.#order++, fn, cancelled: false };
    if (every !== undefined) t.every = every;
    this.#timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }
  #popDue(limit: number): PendingTimer | undefined {
    let bestIdx = -1;
    let cancelled = false;
    for (let i = 0; i < this.#timers.length; i++) {
      const t = this.#timers[i] as PendingTimer;
      if (t.cancelled) cancelled = true;
      if (t.cancelled || t.at > limit) continue;
      const best = bestIdx >= 0 ? (this.#timers[bestIdx] as PendingTimer) : undefined;
      if (!best || t.at < best.at || (t.at === best.at && t.order < best.order)) bestIdx = i;
    }
    if (bestIdx < 0) {
      // Only when there is something to drop: replay advances the clock for every line it reads.
      if (cancelled) this.#timers = this.#timers.filter((t) => !t.cancelled);
      return undefined;
    }
    // Taken out by moving the last one into its place: the order of the list does not matter (the
    // next is chosen by time, then by order of setting), and a splice made two arrays for every tick.
    const t = this.#timers[bestIdx] as PendingTimer;
    const last = this.#timers.pop() as PendingTimer;
    if (bestIdx < this.#timers.length) this.#timers[bestIdx] = last;
    return t;
  }
}
