import { existsSync } from "node:fs";
import type { Clock, Timer } from "../core/clock.js";

/** A watched interval is late when it has not run for this many of its periods. */
export const LATE_PERIODS = 3;

/**
 * Test-only knobs, read from the environment and nowhere else; production never sets them. They let
 * a test make the pipeline's one-minute tick fast (HEARTH_TEST_TICK_MS) and wedge it on demand
 * (HEARTH_TEST_STALL_FILE: while that file exists, watched interval bodies do not run), so that the
 * watchdog's reaction to a stalled tick is seen in seconds (tests/service/notify.test.ts).
 */
export interface TestKnobs {
  periodMs?: number;
  stalled?: () => boolean;
}

export interface IntervalWatch {
  /** The clock to hand the watched part: its setInterval bodies are timed, the rest passes through. */
  clock: Clock;
  /** Why the watched loops are not healthy now (one line), or undefined when every one ran lately. */
  late(): string | undefined;
}

interface Watched {
  periodMs: number;
  lastRunMono: number;
}

/**
 * Times every interval a part (the pipeline) sets on `clock`: each run of its body is recorded, so
 * the watchdog can tell a tick that stopped running (a lost timer, a body that never returns to the
 * loop) from one that runs. Its start counts as a run, so a fresh agent is healthy.
 */
export function watchIntervals(clock: Clock, knobs: TestKnobs = {}): IntervalWatch {
  const watched = new Set<Watched>();
  const wrapped: Clock = {
    monotonicMs: () => clock.monotonicMs(),
    wallMs: () => clock.wallMs(),
    wallSynced: () => clock.wallSynced(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    setInterval: (fn, ms): Timer => {
      const w: Watched = { periodMs: knobs.periodMs ?? ms, lastRunMono: clock.monotonicMs() };
      watched.add(w);
      const timer = clock.setInterval(() => {
        if (knobs.stalled?.()) return;
        fn();
        w.lastRunMono = clock.monotonicMs();
      }, w.periodMs);
      return {
        cancel: () => {
          watched.delete(w);
          timer.cancel();
        },
      };
    },
  };
  return {
    clock: wrapped,
    late: () => {
      const now = clock.monotonicMs();
      for (const w of watched) {
        const since = now - w.lastRunMono;
        if (since > LATE_PERIODS * w.periodMs)
          return `the pipeline tick last ran ${Math.round(since / 1000)} s ago (every ${Math.round(w.periodMs / 1000)} s)`;
      }
      return undefined;
    },
  };
}

/** The test-only knobs from the environment (see TestKnobs); empty in production. */
export function testKnobs(env: NodeJS.ProcessEnv): TestKnobs {
  const knobs: TestKnobs = {};
  const ms = Number(env.HEARTH_TEST_TICK_MS);
  if (env.HEARTH_TEST_TICK_MS !== undefined && Number.isFinite(ms) && ms > 0) knobs.periodMs = ms;
  const file = env.HEARTH_TEST_STALL_FILE;
  if (file !== undefined && file !== "") {
    knobs.stalled = () => existsSync(file);
  }
  return knobs;
}
