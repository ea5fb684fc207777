import { describe, expect, it } from "vitest";
import { Routine, routineChart } from "../../src/pipeline/routine.js";

/** Fourteen days where the person is active 07–22 and asleep otherwise. */
function learnTwoWeeks(r: Routine, days = 14): void {
  for (let d = 0; d < days; d++)
    for (let h = 0; h < 24; h++) r.observe(((d % 7) * 24 + h) % 168, h >= 7 && h < 22);
}

describe("learned routine", () => {
  it("is not ready before the learning days, and is after", () => {
    const r = new Routine({ learningDays: 14, slowWeeks: 8 });
    learnTwoWeeks(r, 13);
    expect(r.ready()).toBe(false);
    learnTwoWeeks(r, 1);
    expect(r.ready()).toBe(true);
  });

  it("learns when activity usually happens", () => {
    const r = new Routine({ learningDays: 14, slowWeeks: 8 });
    learnTwoWeeks(r);
    expect(r.p(2 * 24 + 9)).toBeGreaterThan(0.9); // Wednesday 09:00
    expect(r.p(2 * 24 + 3)).toBeLessThan(0.05); // Wednesday 03:00
  });

  it("finds two silent usual hours improbable and two silent night hours ordinary", () => {
    const r = new Routine({ learningDays: 14, slowWeeks: 8 });
    learnTwoWeeks(r);
    const morning = r.quietProbability([
      [9, 1],
      [10, 1],
    ]);
    const night = r.quietProbability([
      [2, 1],
      [3, 1],
    ]);
    expect(morning).toBeLessThan(0.01);
    expect(night).toBeGreaterThan(0.9);
    // Half an hour counts for less than a whole one.
    expect(r.quietProbability([[9, 0.5]])).toBeGreaterThan(r.quietProbability([[9, 1]]));
  });

  it("adapts slowly: one odd day barely moves a slot, weeks of a new habit do", () => {
    const r = new Routine({ learningDays: 14, slowWeeks: 8 });
    for (let w = 0; w < 10; w++) for (let h = 0; h < 24; h++) r.observe(h, h >= 7 && h < 22);
    const before = r.p(8);
    r.observe(8, false); // one Monday 08:00 without activity
    expect(before - r.p(8)).toBeLessThan(0.15);
    for (let w = 0; w < 20; w++) r.observe(8, false); // a new habit: sleeping in on Mondays
    expect(r.p(8)).toBeLessThan(0.4);
  });

  it("survives a restart and draws a chart of 7 weekdays × 24 hours", () => {
    const r = new Routine({ learningDays: 14, slowWeeks: 8 });
    learnTwoWeeks(r);
    const copy = new Routine({ learningDays: 14, slowWeeks: 8 });
    copy.restore(JSON.parse(JSON.stringify(r.toJSON())));
    expect(copy.p(57)).toBe(r.p(57));
    expect(copy.ready()).toBe(true);
    const chart = routineChart(copy).split("\n");
    const rows = chart.filter((l) => /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) {2}/.test(l));
    expect(rows).toHaveLength(7);
    for (const row of rows) expect(row.length).toBe(5 + 24);
    // Night hours blank, daytime dense.
    expect(rows[0]?.slice(5, 5 + 5)).toBe("     ");
    expect(rows[0]?.slice(5 + 9, 5 + 12)).toBe("@@@");
  });
});
