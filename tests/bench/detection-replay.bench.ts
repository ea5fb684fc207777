import { bench, describe } from "vitest";
import { SECOND_MS } from "../../src/core/time.js";
import type { ReplayRecord } from "../../src/replay/input.js";
import { runReplay } from "../../src/replay/run.js";
import { Household, recordLine } from "../../src/sim/household.js";

/**
 * `hearth replay` speed: one op = 20 home-days of 30-second meter readings (JSON lines, parsed,
 * through the real pipeline on a virtual clock, alerts and summaries as envelopes). The issue asks
 * for at least 1,000 home-days a minute on one core: 20 home-days per op means hz ≥ 0.83.
 */
const DAYS = 20;

function lines(): string[] {
  const h = new Household({ seed: 42, days: DAYS, incident: false });
  const out: string[] = [];
  let copies: ReplayRecord[] = [];
  let cur = -1;
  for (const r of h.records()) {
    if (r.kind !== "reading") continue;
    if (r.ms !== cur) {
      for (const c of copies) out.push(recordLine(c));
      copies = [];
      cur = r.ms;
    }
    out.push(recordLine(r));
    copies.push({ ...r, ms: r.ms + 30 * SECOND_MS });
  }
  for (const c of copies) out.push(recordLine(c));
  return out;
}

const input = lines();

describe("detection replay", () => {
  bench(`${DAYS} home-days of 30-s readings (${input.length} lines)`, async () => {
    let n = 0;
    await runReplay(input, { emit: () => n++, problem: () => undefined });
  });
});
