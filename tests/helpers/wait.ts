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

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
