import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { SilenceRule } from "../../src/pipeline/inactivity.js";
import { LocalClock } from "../../src/pipeline/local-time.js";

const lc = new LocalClock("Asia/Shanghai");
const T0 = Date.parse("2026-03-02T00:00:00+08:00");

/** Runs the rule minute by minute from `fromMs` (wall = mono + T0) to `toMs`; returns the first verdict. */
function run(
  rule: SilenceRule,
  fromMs: number,
  toMs: number,
  o: { paused?: (t: number) => boolean; factor?: number; lastActivityWallMs?: number } = {},
) {
  for (let t = fromMs; t <= toMs; t += MINUTE_MS) {
    const local = lc.at(t);
    const v = rule.check(t - T0, local, {
      paused: o.paused?.(t) ?? false,
      factor: o.factor ?? 1,
      lastActivityWallMs: o.lastActivityWallMs ?? T0 + rule.lastActivityMono(),
      sleepEndWallMs: lc.wallOf(local.day, 7 * 60),
    });
    if (v) return { ...v, at: t };
  }
  return undefined;
}

const base = {
  sleepStartMin: 22 * 60,
  sleepEndMin: 7 * 60,
  maxSilenceDayMs: 4 * HOUR_MS,
  maxSilenceNightMs: 12 * HOUR_MS,
};

describe("silence rules", () => {
  it("a time-of-day window has its own limit", () => {
    const rule = new SilenceRule(
      { ...base, windows: [{ startMin: 7 * 60, endMin: 12 * 60, maxSilenceMs: 2 * HOUR_MS }] },
      8 * HOUR_MS,
    );
    const v = run(rule, T0 + 8 * HOUR_MS, T0 + 14 * HOUR_MS);
    expect(v?.rule).toBe("max_silence_day");
    expect(v?.at).toBe(T0 + 10 * HOUR_MS);
    const afternoon = new SilenceRule(
      { ...base, windows: [{ startMin: 7 * 60, endMin: 12 * 60, maxSilenceMs: 2 * HOUR_MS }] },
      13 * HOUR_MS,
    );
    expect(run(afternoon, T0 + 13 * HOUR_MS, T0 + 18 * HOUR_MS)?.at).toBe(T0 + 17 * HOUR_MS);
  });

  it("the morning deadline alerts once when nothing happened since the end of the night", () => {
    const rule = new SilenceRule(
      { ...base, morningDeadlineMin: 10 * 60, morningMinSilenceMs: 4 * HOUR_MS },
      0,
    );
    // Last activity at 23:00 the evening before: a silent morning.
    const v = run(rule, T0, T0 + 11 * HOUR_MS, { lastActivityWallMs: T0 - HOUR_MS });
    expect(v?.rule).toBe("morning_deadline");
    expect(v?.at).toBe(T0 + 10 * HOUR_MS);
  });

  it("no deadline alert for an early riser who was up until 06:40 and went out", () => {
    const rule = new SilenceRule(
      { ...base, morningDeadlineMin: 10 * 60, morningMinSilenceMs: 4 * HOUR_MS },
      6 * HOUR_MS + 40 * MINUTE_MS,
    );
    expect(run(rule, T0 + 6 * HOUR_MS + 40 * MINUTE_MS, T0 + 10 * HOUR_MS + 30 * MINUTE_MS)).toBeUndefined();
    // The same morning without the minimum silence: the deadline alerts.
    const strict = new SilenceRule({ ...base, morningDeadlineMin: 10 * 60 }, 6 * HOUR_MS + 40 * MINUTE_MS);
    expect(run(strict, T0 + 6 * HOUR_MS + 40 * MINUTE_MS, T0 + 10 * HOUR_MS + 30 * MINUTE_MS)?.rule).toBe(
      "morning_deadline",
    );
  });

  it("heightened watch brings the deadline and the limits forward", () => {
    const rule = new SilenceRule(
      {
        ...base,
        maxSilenceNightMs: 24 * HOUR_MS,
        morningDeadlineMin: 10 * 60,
        morningMinSilenceMs: 4 * HOUR_MS,
      },
      0,
    );
    const v = run(rule, T0, T0 + 11 * HOUR_MS, { factor: 0.5, lastActivityWallMs: T0 - HOUR_MS });
    // 07:00 + (10:00 − 07:00) × 0.5 = 08:30
    expect(v?.rule).toBe("morning_deadline");
    expect(v?.at).toBe(T0 + 8 * HOUR_MS + 30 * MINUTE_MS);
    const day = new SilenceRule(base, 12 * HOUR_MS);
    expect(run(day, T0 + 12 * HOUR_MS, T0 + 18 * HOUR_MS, { factor: 0.5 })?.at).toBe(T0 + 14 * HOUR_MS);
  });

  it("time that is paused (power cut, every sense missing) does not count as silence", () => {
    const rule = new SilenceRule(base, 9 * HOUR_MS);
    const v = run(rule, T0 + 9 * HOUR_MS, T0 + 20 * HOUR_MS, {
      paused: (t) => t >= T0 + 10 * HOUR_MS && t < T0 + 12 * HOUR_MS,
    });
    expect(v?.rule).toBe("max_silence_day");
    expect(v?.at).toBe(T0 + 15 * HOUR_MS);
    expect(v?.silenceMs).toBe(6 * HOUR_MS);
    expect(v?.countedMs).toBe(4 * HOUR_MS);
  });

  it("activity starts the silence again", () => {
    const rule = new SilenceRule(base, 9 * HOUR_MS);
    expect(run(rule, T0 + 9 * HOUR_MS, T0 + 12 * HOUR_MS)).toBeUndefined();
    rule.activity(12 * HOUR_MS);
    expect(run(rule, T0 + 12 * HOUR_MS, T0 + 17 * HOUR_MS)?.at).toBe(T0 + 16 * HOUR_MS);
  });
});
