import { readdirSync, readFileSync } from "node:fs";

/** CPU time (user + system, ms) and memory (kB) of one process, from /proc; undefined once it is gone. */
export interface ProcSample {
  cpuMs: number;
  rssKb: number;
  hwmKb: number;
}

/** USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`). */
const TICK_MS = 10;

export function procSample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuMs = (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime (fields 14 and 15)
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    return { cpuMs, rssKb: kb("VmRSS"), hwmKb: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

/** The summed sample of a group of processes (a PostgreSQL server and its backends). */
export function groupSample(pids: readonly number[]): ProcSample {
  const s = { cpuMs: 0, rssKb: 0, hwmKb: 0 };
  for (const p of pids) {
    const x = procSample(p);
    if (!x) continue;
    s.cpuMs += x.cpuMs;
    s.rssKb += x.rssKb;
    s.hwmKb += x.hwmKb;
  }
  return s;
}

/** A process and its children (one level: PostgreSQL's postmaster and its backends). */
export function withChildren(pid: number): number[] {
  const out = [pid];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The pid of the process whose command line holds every one of `parts`, or undefined. */
export function findProcess(parts: readonly string[]): number | undefined {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").join(" ");
      if (parts.every((p) => cmd.includes(p))) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** The q-quantile (0..1) of `xs` by nearest rank; NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil(q * s.length)));
  return s[rank - 1] as number;
}

/** Least-squares slope of y over x (units of y per unit of x); 0 for fewer than two points. */
export function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Whether a backlog series (time in minutes, queued count) shows the consumers keeping up: over the
 * second half of the window it grows by less than `toleratedPerMin` a minute, and it ends below
 * `toleratedEnd`. A pair that falls behind shows a steady climb; one that keeps up hovers near zero.
 */
export function keptUp(
  series: readonly [number, number][],
  toleratedPerMin: number,
  toleratedEnd: number,
): { keptUp: boolean; slopePerMin: number; end: number } {
  const half = series.slice(Math.floor(series.length / 2));
  const s = slope(half);
  const end = series.at(-1)?.[1] ?? 0;
  return { keptUp: s < toleratedPerMin && end < toleratedEnd, slopePerMin: s, end };
}
