/** One line of `npm run bench`'s table: a measure, ours against its baseline from the same run. */
export interface SuiteRow {
  measure: string;
  ours: string;
  baseline: string;
  /** Ours over the baseline (higher is better for rates; for memory, lower). */
  ratio: number | undefined;
  budget?: string;
  met?: boolean;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function markdown(rows: readonly SuiteRow[]): string {
  const out = [
    "| measure | ours | baseline (same run) | ratio | budget | met |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows)
    out.push(
      `| ${r.measure} | ${r.ours} | ${r.baseline} | ${r.ratio === undefined ? "–" : `${r.ratio.toFixed(2)}×`} | ${r.budget ?? "–"} | ${r.met === undefined ? "–" : r.met ? "yes" : "**no**"} |`,
    );
  return out.join("\n");
}
