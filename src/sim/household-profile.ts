import { MINUTE_MS } from "../core/time.js";
import { HOUSEHOLD_PARAMS as P, type Range } from "./household-params.js";
import { rng } from "./random.js";

/** The simulated homes' zone, and its offset from UTC in minutes. */
export const HOUSEHOLD_TZ = "Asia/Shanghai";
export const HOUSEHOLD_OFFSET_MIN = 480;
/** Local midnight of Monday 2 March 2026 in the household's zone: every simulation starts then. */
export const HOUSEHOLD_START_MS = Date.parse("2026-03-02T00:00:00+08:00");

/** One home's person and appliances, drawn from the committed ranges (`HOUSEHOLD_PARAMS`) with its seed. */
export interface HouseholdProfile {
  seed: number;
  wakeMin: number;
  wakeJitterMin: number;
  bedMin: number;
  bedJitterMin: number;
  weekendShiftMin: number;
  nightVisits: number;
  nightLightProb: number;
  nightLightW: number;
  kettlePerDay: number;
  kettleW: number;
  mealsPerDay: number;
  cookW: number;
  tvProb: number;
  tvW: number;
  tvHours: number;
  lightW: number;
  flushesPerDay: number;
  flushL: number;
  washesPerDay: number;
  showerProb: number;
  napProb: number;
  outingsPerWeek: number;
  trips: number;
  fridge: { w: number; onMin: number; periodMin: number };
  freezer: { w: number; onMin: number; periodMin: number } | undefined;
  standbyW: number;
  noiseW: number;
  waterResolutionL: number;
  energyOnly: boolean;
  missedPoll: number;
  dropouts: number;
  outages: number;
}

export function drawProfile(seed: number): HouseholdProfile {
  const r = rng(seed * 7919 + 17);
  const u = (range: Range) => range[0] + (range[1] - range[0]) * r();
  return {
    seed,
    wakeMin: u(P.wakeMin),
    wakeJitterMin: u(P.wakeJitterMin),
    bedMin: u(P.bedMin),
    bedJitterMin: u(P.bedJitterMin),
    weekendShiftMin: u(P.weekendShiftMin),
    nightVisits: u(P.nightVisits),
    nightLightProb: u(P.nightLightProb),
    nightLightW: u(P.nightLightW),
    kettlePerDay: u(P.kettlePerDay),
    kettleW: u(P.kettleW),
    mealsPerDay: u(P.mealsPerDay),
    cookW: u(P.cookW),
    tvProb: u(P.tvProb),
    tvW: u(P.tvW),
    tvHours: u(P.tvHours),
    lightW: u(P.lightW),
    flushesPerDay: u(P.flushesPerDay),
    flushL: u(P.flushL),
    washesPerDay: u(P.washesPerDay),
    showerProb: u(P.showerProb),
    napProb: u(P.napProb),
    outingsPerWeek: u(P.outingsPerWeek),
    trips: Math.floor(u([P.tripsPer60Days[0], P.tripsPer60Days[1] + 0.999])),
    fridge: { w: u(P.fridgeW), onMin: u(P.fridgeOnMin), periodMin: u(P.fridgePeriodMin) },
    freezer:
      r() < P.freezerProb
        ? { w: u(P.freezerW), onMin: u(P.freezerOnMin), periodMin: u(P.freezerPeriodMin) }
        : undefined,
    standbyW: u(P.standbyW),
    noiseW: u(P.noiseW),
    waterResolutionL: r() < 0.5 ? P.waterResolutionL[0] : P.waterResolutionL[1],
    energyOnly: r() < P.energyOnlyShare,
    missedPoll: u(P.missedPoll),
    dropouts: Math.floor(u([P.dropoutsPer60Days[0], P.dropoutsPer60Days[1] + 0.999])),
    outages: Math.floor(u([P.outagesPer60Days[0], P.outagesPer60Days[1] + 0.999])),
  };
}

/** How the installer turns the person's usual times into settings (see `installerSettings`). */
export interface InstallerRules {
  /** The morning deadline is this long after the usual (weekend) wake time. */
  deadlineAfterWakeMin: number;
  /** The night limit is the sleep window plus this. */
  nightMarginMin: number;
}

export const DEFAULT_INSTALLER: InstallerRules = { deadlineAfterWakeMin: 150, nightMarginMin: 180 };

/**
 * What an installer would set after asking "when do you usually get up and go to bed": the sleep
 * window, a morning deadline and a night limit, on the home's own usual times.
 */
export function installerSettings(
  p: HouseholdProfile,
  rules: InstallerRules = DEFAULT_INSTALLER,
): { sleepStartMin: number; sleepEndMin: number; morningDeadlineMin: number; maxSilenceNightMs: number } {
  const q = (m: number) => Math.round(m / 30) * 30;
  const sleepStart = q(p.bedMin - 15) % 1440;
  const sleepEnd = q(p.wakeMin + p.weekendShiftMin / 2 + 15);
  const sleepLen = (sleepEnd - sleepStart + 1440) % 1440;
  return {
    sleepStartMin: sleepStart,
    sleepEndMin: sleepEnd,
    morningDeadlineMin: Math.min(23 * 60, q(p.wakeMin + p.weekendShiftMin + rules.deadlineAfterWakeMin)),
    maxSilenceNightMs: (sleepLen + rules.nightMarginMin) * MINUTE_MS,
  };
}
