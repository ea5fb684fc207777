/**
 * One line of `hearth doctor`: ✓ passed, ✗ failed (with the fix in words), – does not apply here
 * (with why). Only ✗ fails the run: a check that cannot apply is not a fault of the home.
 */
export type CheckStatus = "ok" | "fail" | "na";

export interface Check {
  /** Stable name for scripts, e.g. `port:meter-1`, `clock`, `broker:mqtts://…`. */
  id: string;
  status: CheckStatus;
  /** What was found, in words: "present, crw-rw---- root:dialout". */
  detail: string;
  /** ✗ only: what to do about it. */
  fix?: string;
}

export const ok = (id: string, detail: string): Check => ({ id, status: "ok", detail });
export const fail = (id: string, detail: string, fix: string): Check => ({ id, status: "fail", detail, fix });
export const na = (id: string, why: string): Check => ({ id, status: "na", detail: why });

export const SYMBOL: Record<CheckStatus, string> = { ok: "✓", fail: "✗", na: "–" };

/** One text line per check, the fix indented under a ✗. */
export function formatChecks(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.id.length), 0);
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${SYMBOL[c.status]} ${c.id.padEnd(width)}  ${c.detail}`);
    if (c.fix) lines.push(`  ${" ".repeat(width)}  fix: ${c.fix}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A reading for people: "power_w 35 W", at most 3 decimals (meters report float32 noise). */
export function formatReading(channel: string, v: { value: number; unit: string }): string {
  const value = Number.isInteger(v.value) ? v.value : Number(v.value.toFixed(3));
  return v.unit ? `${channel} ${value} ${v.unit}` : `${channel} ${value}`;
}
