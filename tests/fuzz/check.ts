import { expect } from "vitest";
import { type FuzzReport, type FuzzTarget, fuzz } from "./harness.js";

/** Runs a target at its CI size; an escape fails the test with the shrunk counterexample. */
export async function expectNoEscape<T>(target: FuzzTarget<T>): Promise<FuzzReport> {
  const report = await fuzz(target, { numRuns: target.ciRuns });
  expect(
    report.escape,
    report.escape ? `${report.escape.counterexample}\n${report.escape.error}` : "",
  ).toBeUndefined();
  expect(report.cases).toBe(target.ciRuns);
  return report;
}
