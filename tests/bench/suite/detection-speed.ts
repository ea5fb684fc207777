/**
 * `hearth replay` speed on one core: home-days of 30-second meter readings (JSON lines, parsed, through
 * the real pipeline on a virtual clock) per minute. An absolute budget (issue 14: ≥ 5,000), so it is
 * marked as such; the baseline beside it is JSON.parse of the same lines, the floor any replay pays.
 */
import { SECOND_MS } from "../../../src/core/time.js";
import type { ReplayRecord } from "../../../src/replay/input.js";
import { runReplay } from "../../../src/replay/run.js";
import { Household, recordLine } from "../../../src/sim/household.js";
import { median, type SuiteRow } from "./table.js";

/** `days` home-days of one simulated home's meter readings, each repeated 30 s later, as replay lines. */
export function replayLines(days: number): string[] {
  const h = new Household({ seed: 42, days, incident: false });
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

export async function detectionSpeed(quick: boolean): Promise<SuiteRow[]> {
  const days = 20;
  const input = replayLines(days);
  const rounds = quick ? 3 : 7;
  const ours: number[] = [];
  const parse: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    let n = 0;
    await runReplay(input, { emit: () => n++, problem: () => undefined });
    ours.push((days / (performance.now() - t0)) * 60_000);
    t0 = performance.now();
    for (const l of input) JSON.parse(l);
    parse.push((days / (performance.now() - t0)) * 60_000);
  }
  const m = median(ours);
  return [
    {
      measure: `detection replay (${days} home-days of 30-s readings, ${input.length} lines)`,
      ours: `${Math.round(m)} home-days/min on one core`,
      baseline: `${Math.round(median(parse))} home-days/min (JSON.parse of the lines alone)`,
      ratio: m / median(parse),
      budget: "≥ 5,000 home-days/min (absolute)",
      met: m >= 5000,
    },
  ];
}
