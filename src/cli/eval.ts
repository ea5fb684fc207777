import { MINUTE_MS, SECOND_MS } from "../core/time.js";
import { type BoundFigures, runBound } from "../eval/bound.js";
import {
  type EvalKnobs,
  type Figures,
  figures,
  HELD_OUT_SEED_BASE,
  type Mode,
  runCorpus,
  TUNING_SEED_BASE,
} from "../eval/evaluate.js";

const fmtMin = (m: number | null) => {
  if (m === null) return "–";
  const r = Math.round(m);
  return `${Math.floor(r / 60)} h ${String(r % 60).padStart(2, "0")} min`;
};

function table(title: string, rows: [string, Figures][]): string {
  const lines = [title];
  for (const [name, f] of rows) {
    lines.push(
      `  ${name.padEnd(15)} homes ${f.homes}, ${f.homeMonths} home-months, ${f.incidents} incidents`,
      `    detected within 12 h ${f.detectedWithin12hPct} %, within 24 h ${f.detectedWithin24hPct} %; time to detect median ${fmtMin(f.ttdMedianMin)}, mean ${fmtMin(f.ttdMeanMin)}, p90 ${fmtMin(f.ttdP90Min)}`,
      `    daytime incidents ${f.daytimeIncidents}: within 4 h ${f.daytimeWithin4hPct} %; night incidents ${f.nightIncidents}: by the morning deadline ${f.nightByDeadlinePct} %`,
      `    false alarms ${f.falseAlarms} = ${f.falseAlarmsPerHomeMonth} per home-month (${f.falseAlarmsAway} in announced away time)`,
      `    other alerts per home-month: ${
        Object.entries(f.otherAlertsPerHomeMonth)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "none"
      }`,
    );
  }
  return lines.join("\n");
}

/** `hearth eval` (`npm run eval`): the detection evaluation on the fixed-seed simulated corpus. */
export function evalCommand(o: {
  homes: number;
  tuningHomes: number;
  days: number;
  json?: boolean;
  /** Every home has a motion sensor (the variant of MOTION_PARAMS). */
  motion?: boolean;
  /** Overrides the default day limit (ms). */
  maxSilenceDayMs?: number;
  /** Overrides the routine's default alpha. */
  alpha?: number;
}): void {
  const knobs: EvalKnobs = {
    ...(o.motion ? { motion: true } : {}),
    detection: {
      ...(o.maxSilenceDayMs !== undefined ? { maxSilenceDayMs: o.maxSilenceDayMs } : {}),
      ...(o.alpha !== undefined ? { routineAlpha: o.alpha } : {}),
    },
  };
  const modes: Mode[] = ["rules", "routine"];
  const t0 = performance.now();
  const out: Record<string, Record<Mode, Figures>> = {};
  const bounds: Record<string, BoundFigures> = {};
  for (const [name, base, homes] of [
    ["tuning", TUNING_SEED_BASE, o.tuningHomes],
    ["held-out", HELD_OUT_SEED_BASE, o.homes],
  ] as const) {
    if (homes <= 0) continue;
    const by = runCorpus(
      base,
      homes,
      o.days,
      modes,
      (done) => {
        if (!o.json && done % 10 === 0) process.stderr.write(`  ${name}: ${done}/${homes} homes\n`);
      },
      knobs,
    );
    out[name] = { rules: figures(by.get("rules") ?? []), routine: figures(by.get("routine") ?? []) };
    // The bound speaks of the meters' homes; with a motion sensor it would not apply.
    if (!o.motion) bounds[name] = runBound(base, homes, o.days, 1);
  }
  const secs = (performance.now() - t0) / SECOND_MS;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ days: o.days, seconds: Math.round(secs), ...out, bound: bounds }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `hearth eval: simulated households${o.motion ? " with a motion sensor each" : ""}, ${o.days} ordinary days then an incident each (seeds: tuning from ${TUNING_SEED_BASE}, held-out from ${HELD_OUT_SEED_BASE})${o.maxSilenceDayMs !== undefined ? `; day limit ${fmtMin(o.maxSilenceDayMs / MINUTE_MS)}` : ""}${o.alpha !== undefined ? `; alpha ${o.alpha}` : ""}\n`,
  );
  for (const [name, f] of Object.entries(out))
    process.stdout.write(
      `${table(`${name} seeds`, [
        ["rules alone", f.rules],
        ["learned routine", f.routine],
      ])}\n`,
    );
  if (Object.keys(bounds).length > 0)
    process.stdout.write(
      "bound from the person's own actions (any detector that sees only silence, one threshold per home chosen\n" +
        "by an oracle that knows the home's future, at most 1 false alarm a home-month)\n",
    );
  for (const [name, b] of Object.entries(bounds))
    process.stdout.write(
      `  ${name.padEnd(9)} ordinary daytime silences of 4 h or more: ${b.silences4hPerHomeMonth} per home-month (homes with none: ${b.homesWithout4hPct} %)\n` +
        `            oracle threshold median ${fmtMin(b.thresholdMedianMin)} (homes at 4 h or less: ${b.thresholdUnder4hPct} %); daytime incidents ${b.daytimeIncidents}: within 4 h ${b.daytimeWithin4hPct} %, median ${fmtMin(b.daytimeTtdMedianMin)}\n`,
    );
  process.stdout.write(`(${secs.toFixed(0)} s)\n`);
}
