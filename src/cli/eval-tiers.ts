import { SECOND_MS } from "../core/time.js";
import type { BoundFigures } from "../eval/bound.js";
import { type EvalDetection, HELD_OUT_SEED_BASE, TUNING_SEED_BASE } from "../eval/evaluate.js";
import { runTiers, type Tier, type TierResult, tierBound } from "../eval/tiers.js";

const fmtMin = (m: number | null) => {
  if (m === null) return "–";
  const r = Math.round(m);
  return `${Math.floor(r / 60)} h ${String(r % 60).padStart(2, "0")} min`;
};

/** One tier's figures as the lines `hearth eval --tiers` prints. */
export function tierLines(r: TierResult, bound: BoundFigures | undefined): string[] {
  const f = r.figures;
  const kinds =
    Object.entries(f.detectedByKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "none";
  const lines = [
    `  ${r.tier}${r.prealarm ? " + pre-alarm" : ""}: homes ${f.homes}, ${f.homeMonths} home-months, ${f.incidents} incidents`,
    `    daytime incidents ${f.daytimeIncidents}: within 4 h ${f.daytimeWithin4h} (${f.daytimeWithin4hPct} %), median ${fmtMin(f.daytimeTtdMedianMin)}; all incidents: time to detect median ${fmtMin(f.ttdMedianMin)}, mean ${fmtMin(f.ttdMeanMin)}`,
    `    within 12 h ${f.detectedWithin12h} (${f.detectedWithin12hPct} %); night incidents ${f.nightIncidents}: by the morning deadline ${f.nightByDeadline} (${f.nightByDeadlinePct} %)${r.prealarm ? `, by the deadline + the pre-alarm's wait ${f.nightByDeadlineWait}` : ""}; detected by ${kinds}`,
    `    cloud false alarms ${f.falseAlarms} = ${f.falseAlarmsPerHomeMonth} per home-month (${f.falseAlarmsAway} in announced away time); local prompts ${f.localPrompts} = ${f.localPromptsPerHomeMonth} per home-month (${f.promptsAnswered} answered)`,
  ];
  if (bound)
    lines.push(
      `    oracle bound: daytime incidents ${bound.daytimeIncidents}: within 4 h ${bound.daytimeWithin4hPct} %, median ${fmtMin(bound.daytimeTtdMedianMin)}; ordinary daytime silences of 4 h or more ${bound.silences4hPerHomeMonth} per home-month`,
    );
  return lines;
}

/** `hearth eval --tiers …` / `--matrix` (`npm run eval:tiers`): the sensing tiers, with and without the pre-alarm. */
export function evalTiersCommand(o: {
  homes: number;
  tuningHomes: number;
  days: number;
  tiers: readonly Tier[];
  prealarm: readonly boolean[];
  json?: boolean;
  /** Detection knobs over every tier's own (tuning). */
  extra?: Partial<EvalDetection>;
  /** Skip the oracle bound (it takes a while). */
  noBound?: boolean;
}): void {
  const t0 = performance.now();
  const out: Record<string, { results: TierResult[]; bounds: Partial<Record<Tier, BoundFigures>> }> = {};
  for (const [name, base, homes] of [
    ["tuning", TUNING_SEED_BASE, o.tuningHomes],
    ["held-out", HELD_OUT_SEED_BASE, o.homes],
  ] as const) {
    if (homes <= 0) continue;
    const results = runTiers(base, homes, o.days, o.tiers, o.prealarm, o.extra ?? {}, (label, done) => {
      if (!o.json && done % 10 === 0) process.stderr.write(`  ${name} ${label}: ${done}/${homes} homes\n`);
    });
    const bounds: Partial<Record<Tier, BoundFigures>> = {};
    if (!o.noBound) for (const t of o.tiers) bounds[t] = tierBound(base, homes, o.days, t);
    out[name] = { results, bounds };
  }
  const secs = (performance.now() - t0) / SECOND_MS;
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ days: o.days, seconds: Math.round(secs), ...out }, null, 2)}\n`);
    return;
  }
  const extra = Object.entries(o.extra ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  process.stdout.write(
    `hearth eval: sensing tiers, learned routine on, ${o.days} ordinary days then an incident each (seeds: tuning from ${TUNING_SEED_BASE}, held-out from ${HELD_OUT_SEED_BASE})${extra ? `; ${extra}` : ""}\n`,
  );
  for (const [name, { results, bounds }] of Object.entries(out)) {
    process.stdout.write(`${name} seeds\n`);
    for (const r of results) process.stdout.write(`${tierLines(r, bounds[r.tier]).join("\n")}\n`);
  }
  process.stdout.write(`(${secs.toFixed(0)} s)\n`);
}
