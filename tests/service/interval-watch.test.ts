import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { MINUTE_MS } from "../../src/core/time.js";
import { LATE_PERIODS, testKnobs, watchIntervals } from "../../src/service/interval-watch.js";
import { watchdogMs } from "../../src/service/notify.js";

describe("the pipeline's tick, watched", () => {
  it("is healthy while the tick runs, late once it has not run for three periods, healthy again when it runs", () => {
    const clock = new VirtualClock();
    let stalled = false;
    const w = watchIntervals(clock, { stalled: () => stalled });
    let ticks = 0;
    w.clock.setInterval(() => ticks++, MINUTE_MS);
    clock.advanceTo(10 * MINUTE_MS);
    expect(ticks).toBe(10);
    expect(w.late()).toBeUndefined();
    stalled = true;
    clock.advanceTo(10 * MINUTE_MS + LATE_PERIODS * MINUTE_MS);
    expect(w.late()).toBeUndefined();
    clock.advanceTo(10 * MINUTE_MS + LATE_PERIODS * MINUTE_MS + 1);
    expect(w.late()).toBe("the pipeline tick last ran 180 s ago (every 60 s)");
    expect(ticks).toBe(10);
    stalled = false;
    clock.advanceTo(15 * MINUTE_MS);
    expect(ticks).toBe(12); // at 14 and 15 min
    expect(w.late()).toBeUndefined();
  });

  it("a body that throws has not run (the watch sees the tick as late), and a cancelled interval is no longer watched", () => {
    const clock = new VirtualClock();
    const w = watchIntervals(clock);
    const t = w.clock.setInterval(() => {
      throw new Error("tick failed");
    }, MINUTE_MS);
    expect(() => clock.advanceTo(MINUTE_MS)).toThrow("tick failed");
    t.cancel();
    clock.advanceTo(10 * MINUTE_MS);
    expect(w.late()).toBeUndefined();
  });

  it("the test-only knobs come only from their environment variables", () => {
    expect(testKnobs({})).toEqual({});
    const dir = mkdtempSync(join(tmpdir(), "hearth-knobs-"));
    const file = join(dir, "stall");
    const k = testKnobs({ HEARTH_TEST_TICK_MS: "300", HEARTH_TEST_STALL_FILE: file });
    expect(k.periodMs).toBe(300);
    expect(k.stalled?.()).toBe(false);
    writeFileSync(file, "");
    expect(k.stalled?.()).toBe(true);
    rmSync(dir, { recursive: true });
  });

  it("the watchdog period is WATCHDOG_USEC for this process only", () => {
    expect(watchdogMs({ WATCHDOG_USEC: "60000000" }, 42)).toBe(60_000);
    expect(watchdogMs({ WATCHDOG_USEC: "60000000", WATCHDOG_PID: "42" }, 42)).toBe(60_000);
    expect(watchdogMs({ WATCHDOG_USEC: "60000000", WATCHDOG_PID: "7" }, 42)).toBeUndefined();
    expect(watchdogMs({}, 42)).toBeUndefined();
    expect(watchdogMs({ WATCHDOG_USEC: "soon" }, 42)).toBeUndefined();
  });
});
