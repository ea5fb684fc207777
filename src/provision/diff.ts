/**
 * A line diff of two texts, unified-style without hunks: unchanged lines with "  ", removed "- ",
 * added "+ ". Config files are small (a few hundred lines): the quadratic table is fine.
 */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      (lcs[i] as number[])[j] =
        a[i] === b[j]
          ? ((lcs[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lcs[i + 1] as number[])[j] as number, (lcs[i] as number[])[j + 1] as number);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (
      j < m &&
      (i >= n || ((lcs[i] as number[])[j + 1] as number) >= ((lcs[i + 1] as number[])[j] as number))
    ) {
      out.push(`+ ${b[j]}`);
      j++;
    } else {
      out.push(`- ${a[i]}`);
      i++;
    }
  }
  return out;
}

/** Only the changed lines, each with one line of context around it. */
export function changedLines(diff: readonly string[]): string[] {
  const keep = new Set<number>();
  diff.forEach((l, k) => {
    if (!l.startsWith("  ")) for (const d of [-1, 0, 1]) keep.add(k + d);
  });
  return diff.filter((_, k) => keep.has(k));
}
