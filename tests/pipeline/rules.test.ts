import { describe, expect, it } from "vitest";
import { SilenceRule } from "../../src/pipeline/inactivity.js";
import { LocalClock } from "../../src/pipeline/local-time.js";

const MIN = 60_000;
const H = 3_600_000;
const lc = new LocalClock("Asia/Shanghai");
const T0 = Date.parse("2026-03-02T00:00:00+08:00");

/** Runs the rule minute by minute from `fromMs` (wall = mono + T0) to `toMs`; returns the first verdict. */
function run(
  rule: SilenceRule,
  fromMs: number,
  toMs: number,
  o: { paused?: (t: number) => boolean; factor?: number; lastActivityWallMs?: number } = {},
) {
  for (let t = fromMs; t <= toMs; t += MIN) {
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
  maxSilenceDayMs: 4 * H,
  maxSilenceNightMs: 12 * H,
};

describe("silence rules", () => {
  it("a time-of-day window has its own limit", () => {
    const rule = new SilenceRule(
      { ...base, windows: [{ startMin: 7 * 60, endMin: 12 * 60, maxSilenceMs: 2 * H }] },
      8 * H,
    );
    const v = run(rule, T0 + 8 * H, T0 + 14 * H);
    expect(v?.rule).toBe("max_silence_day");
    expect(v?.at).toBe(T0 + 10 * H);
    const afternoon = new SilenceRule(
      { ...base, windows: [{ startMin: 7 * 60, endMin: 12 * 60, maxSilenceMs: 2 * H }] },
      13 * H,
    );
    expect(run(afternoon, T0 + 13 * H, T0 + 18 * H)?.at).toBe(T0 + 17 * H);
  });

  it("the morning deadline alerts once when nothing happened since the end of the night", () => {
    const rule = new SilenceRule({ ...base, morningDeadlineMin: 10 * 60, morningMinSilenceMs: 4 * H }, 0);
    // Last activity at 23:00 the evening before: a silent morning.
    const v = run(rule, T0, T0 + 11 * H, { lastActivityWallMs: T0 - H });
    expect(v?.rule).toBe("morning_deadline");
    expect(v?.at).toBe(T0 + 10 * H);
  });

  it("no deadline alert for an early riser who was up until 06:40 and went out", () => {
    const rule = new SilenceRule(
      { ...base, morningDeadlineMin: 10 * 60, morningMinSilenceMs: 4 * H },
      6 * H + 40 * MIN,
    );
    expect(run(rule, T0 + 6 * H + 40 * MIN, T0 + 10 * H + 30 * MIN)).toBeUndefined();
    // The same morning without the minimum silence: the deadline alerts.
    const strict = new SilenceRule({ ...base, morningDeadlineMin: 10 * 60 }, 6 * H + 40 * MIN);
    expect(run(strict, T0 + 6 * H + 40 * MIN, T0 + 10 * H + 30 * MIN)?.rule).toBe("morning_deadline");
  });

  it("heightened watch brings the deadline and the limits forward", () => {
    const rule = new SilenceRule(
      { ...base, maxSilenceNightMs: 24 * H, morningDeadlineMin: 10 * 60, morningMinSilenceMs: 4 * H },
      0,
    );
    const v = run(rule, T0, T0 + 11 * H, { factor: 0.5, lastActivityWallMs: T0 - H });
    // 07:00 + (10:00 − 07:00) × 0.5 = 08:30
    expect(v?.rule).toBe("morning_deadline");
    expect(v?.at).toBe(T0 + 8 * H + 30 * MIN);
    const day = new SilenceRule(base, 12 * H);
    expect(run(day, T0 + 12 * H, T0 + 18 * H, { factor: 0.5 })?.at).toBe(T0 + 14 * H);
  });

  it("time that is paused (power cut, every sense missing) does not count as silence", () => {
    const rule = new SilenceRule(base, 9 * H);
    const v = run(rule, T0 + 9 * H, T0 + 20 * H, { paused: (t) => t >= T0 + 10 * H && t < T0 + 12 * H });
    expect(v?.rule).toBe("max_silence_day");
    expect(v?.at).toBe(T0 + 15 * H);
    expect(v?.silenceMs).toBe(6 * H);
    expect(v?.countedMs).toBe(4 * H);
  });

  it("activity starts the silence again", () => {
    const rule = new SilenceRule(base, 9 * H);
    expect(run(rule, T0 + 9 * H, T0 + 12 * H)).toBeUndefined();
    rule.activity(12 * H);
    expect(run(rule, T0 + 12 * H, T0 + 17 * H)?.at).toBe(T0 + 16 * H);
  });
});
