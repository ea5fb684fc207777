import { DAY_MS, MINUTE_MS } from "../core/time.js";
import { Household } from "../sim/household.js";
import { HOUSEHOLD_OFFSET_MIN } from "../sim/household-profile.js";
import type { SenseSet } from "../sim/household-sense-records.js";

/**
 * How far detection from silence alone can go on the simulated homes: a bound, computed from the
 * person's own actions (ground truth: every switch and every tap, more than the meters show).
 *
 * A detector that raises when the daytime silence (counted outside the sleep window, as the day rule
 * counts it) reaches T raises once on every ordinary silence that reaches T. The oracle knows each
 * home's whole future and picks, per home, the smallest T that keeps that home within the false-alarm
 * budget on its own ordinary days. No detector with one threshold per home does better; one that
 * varies the threshold by hour can, but only by knowing *when* in the day the long ordinary silences
 * fall, which is what the learned routine tries.
 */

/** The household simulator's zone has no summer time: one offset all year. */
const OFFSET_MS = HOUSEHOLD_OFFSET_MIN * MINUTE_MS;

export interface BoundHome {
  seed: number;
  /** Ordinary daytime silences of at least 4 h, per home-month. */
  silences4hPerMonth: number;
  /** The oracle's per-home threshold (minutes of daytime silence). */
  thresholdMin: number;
  /** Daytime incident only: minutes from the incident to the oracle's raise. */
  ttdMin: number | undefined;
}

export interface BoundFigures {
  homes: number;
  /** Mean over homes of ordinary daytime silences ≥ 4 h per home-month. */
  silences4hPerHomeMonth: number;
  /** Share of homes with no ordinary daytime silence of 4 h or more. */
  homesWithout4hPct: number;
  /** The oracle's thresholds: median and share of homes at or under 4 h. */
  thresholdMedianMin: number;
  thresholdUnder4hPct: number;
  daytimeIncidents: number;
  daytimeWithin4hPct: number;
  daytimeTtdMedianMin: number | null;
}

function inSleep(ms: number, sleepStartMin: number, sleepEndMin: number): boolean {
  const m = Math.floor(((((ms + OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
  return sleepStartMin <= sleepEndMin
    ? m >= sleepStartMin && m < sleepEndMin
    : m >= sleepStartMin || m < sleepEndMin;
}

/** Minutes of [from, to) outside the sleep window, counted in whole minutes. */
function awakeMin(from: number, to: number, sleepStartMin: number, sleepEndMin: number): number {
  let n = 0;
  for (let t = from; t < to; t += MINUTE_MS) if (!inSleep(t, sleepStartMin, sleepEndMin)) n++;
  return n;
}

/**
 * The bound for one home, with `budgetPerMonth` false alarms a home-month allowed. With the sensing
 * tiers' senses: a PIR's triggers before the incident are actions it sees too; with an entrance door a
 * silence that overlaps time out of the home is not an ordinary silence at home (the door tells it
 * apart), so it does not count against the budget; a fall sensor's report of the incident detects it
 * when that is sooner. (Twitches after the incident and false fall reports are left out: the bound
 * is of the silence, not of those sensors' errors.)
 */
export function boundHome(
  seed: number,
  days: number,
  budgetPerMonth: number,
  senses: SenseSet = {},
): BoundHome {
  const home = new Household({ seed, days });
  const s = home.settings();
  const until = home.incident?.ms ?? Number.POSITIVE_INFINITY;
  const tl = senses.motion || senses.door || senses.fall ? home.senses() : undefined;
  const acts = home.actions();
  if (senses.motion && tl) {
    acts.push(...tl.motion.filter((t) => t < until));
    acts.sort((a, b) => a - b);
  }
  const outs = senses.door && tl ? tl.outs : [];
  const overlapsTrip = (a: number, b: number) =>
    home.trips.some((t) => a < t.toMs && b > t.fromMs) || outs.some(([x, y]) => a < y && b > x);
  const awake: number[] = [];
  for (let i = 1; i < acts.length; i++) {
    const a = acts[i - 1] as number;
    const b = acts[i] as number;
    if (b - a < 30 * MINUTE_MS || overlapsTrip(a, b)) continue;
    awake.push(awakeMin(a, b, s.sleepStartMin, s.sleepEndMin));
  }
  awake.sort((x, y) => y - x);
  const allowed = Math.floor((budgetPerMonth * days) / 30);
  // Only `allowed` ordinary silences may reach the threshold.
  const thresholdMin = Math.max(30, (awake[allowed] ?? 0) + 1);
  const months = days / 30;
  const silences4hPerMonth = awake.filter((m) => m >= 240).length / months;
  let ttdMin: number | undefined;
  const inc = home.incident;
  if (inc && !inc.night) {
    const last = acts.filter((t) => t < inc.ms).at(-1) ?? inc.ms;
    let n = 0;
    let t = last;
    while (n < thresholdMin && t < inc.ms + 2 * DAY_MS) {
      if (!inSleep(t, s.sleepStartMin, s.sleepEndMin)) n++;
      t += MINUTE_MS;
    }
    ttdMin = Math.max(0, (t - inc.ms) / MINUTE_MS);
    const fallAt = senses.fall && tl ? tl.fall.find((f) => f >= inc.ms) : undefined;
    if (fallAt !== undefined) ttdMin = Math.min(ttdMin, (fallAt - inc.ms) / MINUTE_MS);
  }
  return { seed, silences4hPerMonth, thresholdMin, ttdMin };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const pct = (n: number, d: number) => (d === 0 ? 0 : Math.round((1000 * n) / d) / 10);

export function boundFigures(homes: readonly BoundHome[]): BoundFigures {
  const day = homes.filter((h) => h.ttdMin !== undefined);
  const ttds = day.map((h) => h.ttdMin as number);
  return {
    homes: homes.length,
    silences4hPerHomeMonth:
      Math.round((homes.reduce((a, h) => a + h.silences4hPerMonth, 0) / Math.max(1, homes.length)) * 100) /
      100,
    homesWithout4hPct: pct(homes.filter((h) => h.silences4hPerMonth === 0).length, homes.length),
    thresholdMedianMin: median(homes.map((h) => h.thresholdMin)) ?? 0,
    thresholdUnder4hPct: pct(homes.filter((h) => h.thresholdMin <= 240).length, homes.length),
    daytimeIncidents: day.length,
    daytimeWithin4hPct: pct(ttds.filter((m) => m <= 240).length, day.length),
    daytimeTtdMedianMin: median(ttds),
  };
}

export function runBound(
  seedBase: number,
  homes: number,
  days: number,
  budgetPerMonth = 1,
  senses: SenseSet = {},
): BoundFigures {
  const out: BoundHome[] = [];
  for (let i = 0; i < homes; i++) out.push(boundHome(seedBase + i, days, budgetPerMonth, senses));
  return boundFigures(out);
}
