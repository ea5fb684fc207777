import type { VirtualClock } from "../../src/core/clock.js";

/**
 * The one polling wait of the test suite. Resolves when `cond` holds; rejects after `timeoutMs` with
 * `what` and, when given, what `detail` shows at that moment. Deadlines are generous on purpose: a
 * loaded CI machine is slow, a correct run is not slowed by a long deadline.
 */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; detail?: () => unknown } = {},
): Promise<void> {
  const { timeoutMs = 20_000, intervalMs = 10, detail } = options;
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) {
      const shown = detail ? ` (${JSON.stringify(detail())})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${shown}`);
    }
    await sleep(intervalMs);
  }
}

/** Moves a virtual clock forward in steps, with real pauses for I/O, until `cond` holds. */
export async function driveUntil(
  clock: VirtualClock,
  what: string,
  cond: () => boolean,
  options: { stepMs?: number; timeoutMs?: number; pauseMs?: number } = {},
): Promise<void> {
  const { stepMs = 100, timeoutMs = 20_000, pauseMs = 10 } = options;
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    clock.advanceBy(stepMs);
    await sleep(pauseMs);
  }
}

/**
 * Lets what the event loop has queued run: promise jobs, `nextTick`s and one `setImmediate` round at
 * a time (a simulated serial binding and @serialport/stream move bytes with nothing else).
 */
export async function settleIo(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/**
 * Runs a virtual clock timer by timer until `cond` holds: the I/O queued so far settles, then the clock
 * jumps to its next timer (at most `maxStepMs` ahead), so a reply due before a timeout is always taken
 * in before that timeout fires. Rejects after `timeoutMs` of real time, naming `what`.
 */
export async function runUntil(
  clock: VirtualClock,
  what: string,
  cond: () => boolean,
  options: { timeoutMs?: number; maxStepMs?: number; detail?: () => unknown } = {},
): Promise<void> {
  const { timeoutMs = 20_000, maxStepMs = 1_000, detail } = options;
  const end = Date.now() + timeoutMs;
  for (;;) {
    await settleIo();
    if (cond()) return;
    if (Date.now() > end) {
      const shown = detail ? ` (${JSON.stringify(detail())})` : "";
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} (virtual time ${clock.monotonicMs()} ms)${shown}`,
      );
    }
    const now = clock.monotonicMs();
    const next = clock.nextTimerAt();
    clock.advanceTo(next === undefined ? now + maxStepMs : Math.min(Math.max(next, now), now + maxStepMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
