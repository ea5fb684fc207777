import { DAY_MS, HOUR_MS, MINUTE_MS } from "../core/time.js";
import { HOUSEHOLD_PARAMS as P } from "./household-params.js";
import type { HouseholdProfile } from "./household-profile.js";
import { between, gauss, poisson } from "./random.js";

/**
 * A day of the simulated person: what they switch on and the water they run, and on the last day
 * the moment of the incident. Every draw comes from the household's one random stream `r`, in a
 * fixed order, so a seed gives the same home on every machine.
 */

/** A load switched on (W) or water running (litres a minute) from `s` to `e` (wall ms). */
export interface HouseEvent {
  s: number;
  e: number;
  w: number;
  lpm: number;
  /** A kettle switches itself off: its end is not the person. */
  kettle?: boolean;
}

export type IncidentKind = "anytime" | "after_kettle" | "night";

export interface Incident {
  ms: number;
  kind: IncidentKind;
  /** In the person's sleeping time (after going to bed, before getting up). */
  night: boolean;
}

/** One day of the person's own loads and water, before outings and naps are cut out. */
export function personDay(
  r: () => number,
  p: HouseholdProfile,
  day0: number,
  wake: number,
  bed: number,
  prevBed: number,
): { events: HouseEvent[]; gaps: [number, number][]; naps: [number, number][]; outings: [number, number][] } {
  const out: HouseEvent[] = [];
  const add = (s: number, durMin: number, w: number, lpm: number, kettle = false) =>
    out.push({ s, e: s + durMin * MINUTE_MS, w, lpm, ...(kettle ? { kettle } : {}) });
  // The night before getting up: toilet visits, sometimes with a light.
  const visits = poisson(r, p.nightVisits);
  for (let i = 0; i < visits; i++) {
    const t = between(r, Math.max(prevBed + 45 * MINUTE_MS, day0 - 2 * HOUR_MS), wake - 20 * MINUTE_MS);
    if (r() < p.nightLightProb) add(t, 2 + r() * 4, p.nightLightW, 0);
    add(t + MINUTE_MS, 1, 0, p.flushL);
  }
  // Getting up.
  add(wake + r() * 10 * MINUTE_MS, 1, 0, p.flushL);
  add(wake + (5 + r() * 15) * MINUTE_MS, 1 + r() * 2, 0, 4);
  const kettles = Math.max(0, Math.round(p.kettlePerDay + (r() - 0.5) * 2));
  for (let i = 0; i < kettles; i++) {
    const t = i === 0 ? wake + (10 + r() * 30) * MINUTE_MS : between(r, wake, bed - 30 * MINUTE_MS);
    add(t, 3 + r(), p.kettleW, 0, true);
  }
  const meals = Math.max(0, Math.round(p.mealsPerDay + (r() - 0.5)));
  const mealAt = [
    wake + 40 * MINUTE_MS,
    day0 + (11.5 * 60 + gauss(r) * 30) * MINUTE_MS,
    day0 + (17.5 * 60 + gauss(r) * 30) * MINUTE_MS,
  ];
  for (let i = 0; i < meals; i++) {
    const t = mealAt[meals === 1 ? 1 + Math.floor(r() * 2) : meals === 2 ? 1 + i : i] as number;
    const dur = 15 + r() * 25;
    add(t, dur, p.cookW, 0);
    add(t + (dur + 20 + r() * 20) * MINUTE_MS, 3 + r() * 4, 0, 5);
  }
  if (r() < p.tvProb) {
    const t = day0 + (19 * 60 + gauss(r) * 45) * MINUTE_MS;
    add(t, Math.max(20, Math.min(p.tvHours * 60, (bed - t) / MINUTE_MS)), p.tvW, 0);
  }
  const lightOn = day0 + (18.5 * 60 + gauss(r) * 20) * MINUTE_MS;
  if (bed > lightOn) add(lightOn, (bed - lightOn) / MINUTE_MS, p.lightW, 0);
  const flushes = poisson(r, p.flushesPerDay);
  for (let i = 0; i < flushes; i++) add(between(r, wake, bed), 1, 0, p.flushL);
  const washes = poisson(r, p.washesPerDay);
  for (let i = 0; i < washes; i++) add(between(r, wake, bed), 0.5 + r() * 2, 0, 4);
  if (r() < p.showerProb) {
    const t = r() < 0.7 ? bed - (30 + r() * 60) * MINUTE_MS : wake + (15 + r() * 30) * MINUTE_MS;
    add(t, 6 + r() * 10, 0, 7);
  }
  // Naps and outings: the person does nothing at home meanwhile.
  // (The sensing tiers tell the two apart: a nap is asleep at home, an outing is out of the door.)
  const naps: [number, number][] = [];
  const outs: [number, number][] = [];
  if (r() < p.napProb) {
    const s = day0 + (13 * 60 + r() * 150) * MINUTE_MS;
    naps.push([s, s + (P.napMin[0] + r() * (P.napMin[1] - P.napMin[0])) * MINUTE_MS]);
  }
  const outings = poisson(r, p.outingsPerWeek / 7);
  for (let i = 0; i < outings; i++) {
    const s = between(r, Math.max(wake + 60 * MINUTE_MS, day0 + 8.5 * HOUR_MS), day0 + 16.5 * HOUR_MS);
    outs.push([s, s + (P.outingMin[0] + r() * (P.outingMin[1] - P.outingMin[0])) * MINUTE_MS]);
  }
  const gaps = [...naps, ...outs];
  return {
    events: out.filter((ev) => !gaps.some(([a, b]) => ev.s >= a && ev.s < b)),
    gaps,
    naps,
    outings: outs,
  };
}

export function drawIncident(
  r: () => number,
  events: readonly HouseEvent[],
  day0: number,
  wake: number,
  bed: number,
  prevBed: number,
): Incident {
  const x = r();
  const mix = P.incidentMix;
  const isNight = (t: number) => t < wake || t >= bed;
  if (x < mix.anytime) {
    const ms = day0 + Math.floor(r() * DAY_MS);
    return { ms, kind: "anytime", night: isNight(ms) };
  }
  if (x < mix.anytime + mix.after_kettle) {
    const kettles = events.filter((e) => e.kettle);
    const k = kettles[Math.floor(r() * kettles.length)];
    if (k) return { ms: k.e + MINUTE_MS, kind: "after_kettle", night: isNight(k.e + MINUTE_MS) };
    const ms = between(r, wake, bed);
    return { ms, kind: "anytime", night: false };
  }
  const nightEnd = events.filter((e) => e.s < wake && e.lpm > 0);
  const v = nightEnd[Math.floor(r() * nightEnd.length)];
  const ms = v
    ? v.e + MINUTE_MS
    : between(r, Math.max(prevBed, day0 - 2 * HOUR_MS) + 30 * MINUTE_MS, wake - 10 * MINUTE_MS);
  return { ms, kind: "night", night: true };
}
