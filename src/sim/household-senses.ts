import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../core/time.js";
import { type Range, SENSE_PARAMS as S } from "./household-params.js";
import type { Incident } from "./person-day.js";
import { between, poisson, rng } from "./random.js";

/**
 * The senses of the sensing tiers (`SENSE_PARAMS`): where the person is (home or out, with the
 * entrance door at every outing and trip), what a PIR in the main room sees (the person up and at
 * home, some night toilet visits, twitches of a fallen person), what a fall sensor reports, and how
 * the person answers the gateway's pre-alarm prompt. Each sense has its own random stream from the
 * seed, so the meters and the person are the same whichever senses a home has, and each sense is the
 * same in every tier that has it.
 */

/** One day of the person, as the household decided it. */
export interface SenseDay {
  wake: number;
  bed: number;
  naps: readonly [number, number][];
  outings: readonly [number, number][];
}

export interface SenseInput {
  seed: number;
  startMs: number;
  endMs: number;
  days: readonly SenseDay[];
  trips: readonly { fromMs: number; toMs: number }[];
  incident: Incident | undefined;
  /** Night toilet visits (their start), before the incident. */
  nightVisits: readonly number[];
}

/** One home's values, drawn from `SENSE_PARAMS` with its seed. */
export interface SenseProfile {
  doorOpenS: Range;
  doorOnlyPerWeek: number;
  motionSeenPerMin: number;
  nightVisitSeen: number;
  twitchPerHour: number;
  twitchHalfLifeH: number;
  answerProb: number;
  answerProbAsleep: number;
  answerDelayMin: Range;
  fallInViewShare: number;
  fallDetectProb: number;
  falseFallsPerMonth: number;
}

export interface SenseTimeline {
  profile: SenseProfile;
  /** Out of the home (outings and trips), in time order; an outing the incident cut short never ends. */
  outs: [number, number][];
  /** Asleep: the nights (bed to getting up) and the naps. */
  asleep: [number, number][];
  /** PIR triggers. */
  motion: number[];
  /** Entrance door: opened (1) and closed (0). */
  door: { ms: number; value: 0 | 1 }[];
  /** Fall reports of the fall sensor (true and false ones). */
  fall: number[];
  /** The incident is a fall in the fall sensor's view (at home). */
  incidentFallInView: boolean;
}

export function drawSenseProfile(seed: number): SenseProfile {
  const r = rng(seed * 9011 + 23);
  const u = (range: Range) => range[0] + (range[1] - range[0]) * r();
  return {
    doorOpenS: S.doorOpenS,
    doorOnlyPerWeek: u(S.doorOnlyPerWeek),
    motionSeenPerMin: u(S.motionSeenPerMin),
    nightVisitSeen: u(S.nightVisitSeen),
    twitchPerHour: u(S.twitchPerHour),
    twitchHalfLifeH: u(S.twitchHalfLifeH),
    answerProb: u(S.answerProb),
    answerProbAsleep: u(S.answerProbAsleep),
    answerDelayMin: [u(S.answerDelayMin), u(S.answerDelayMaxMin)],
    fallInViewShare: u(S.fallInViewShare),
    fallDetectProb: u(S.fallDetectProb),
    falseFallsPerMonth: u(S.falseFallsPerMonth),
  };
}

const within = (xs: readonly (readonly [number, number])[], t: number) =>
  xs.some(([a, b]) => t >= a && t < b);

export function senseTimeline(h: SenseInput): SenseTimeline {
  const p = drawSenseProfile(h.seed);
  const inc = h.incident?.ms ?? Number.POSITIVE_INFINITY;
  // Where the person is.
  const outs: [number, number][] = [];
  for (const d of h.days)
    for (const [a, b] of d.outings) {
      if (a >= inc) continue;
      outs.push([a, b > inc ? Number.POSITIVE_INFINITY : b]);
    }
  for (const t of h.trips) if (t.fromMs < inc) outs.push([t.fromMs, t.toMs]);
  outs.sort((x, y) => x[0] - y[0]);
  // Outings are drawn independently, so two may overlap (or fall in a trip): the person is out from
  // the first leaving to the last return, and the door opens only then, not at a "leaving" while out.
  for (let i = 1; i < outs.length; ) {
    const prev = outs[i - 1] as [number, number];
    const cur = outs[i] as [number, number];
    if (cur[0] > prev[1]) i++;
    else {
      prev[1] = Math.max(prev[1], cur[1]);
      outs.splice(i, 1);
    }
  }
  const asleep: [number, number][] = [];
  let prevBed = h.startMs;
  for (const d of h.days) {
    asleep.push([prevBed, d.wake], ...d.naps);
    prevBed = d.bed;
  }
  asleep.push([prevBed, h.endMs]);
  asleep.sort((x, y) => x[0] - y[0]);
  const incidentOut = h.incident !== undefined && within(outs, inc);
  const napping = h.days.flatMap((d) => d.naps);

  // The PIR: a chance per minute while up, at home and well; some night visits; twitches after.
  const motion: number[] = [];
  const rm = rng(h.seed * 7727 + 41);
  for (const d of h.days)
    for (let m = d.wake; m < d.bed; m += MINUTE_MS) {
      const seen = rm() < p.motionSeenPerMin;
      const t = m + rm() * MINUTE_MS;
      if (seen && t < d.bed && t < inc && !within(napping, t) && !within(outs, t)) motion.push(t);
    }
  for (const v of h.nightVisits) if (rm() < p.nightVisitSeen && v < inc && !within(outs, v)) motion.push(v);
  const rt = rng(h.seed * 4421 + 3);
  if (h.incident && !incidentOut && p.twitchPerHour > 0)
    for (let t = inc; ; ) {
      t += (-Math.log(1 - rt()) / p.twitchPerHour) * HOUR_MS;
      if (t >= h.endMs) break;
      // Thinning: the rate decays with the home's half-life.
      if (rt() < 0.5 ** ((t - inc) / (p.twitchHalfLifeH * HOUR_MS))) motion.push(t);
    }
  motion.sort((a, b) => a - b);

  // The entrance door: at each outing's and trip's start and end, and a few times without going out.
  const door: { ms: number; value: 0 | 1 }[] = [];
  const rd = rng(h.seed * 6151 + 7);
  const openMs = () => between(rd, p.doorOpenS[0], p.doorOpenS[1]) * SECOND_MS;
  for (const [a, b] of outs) {
    const o1 = openMs();
    const o2 = openMs();
    door.push({ ms: a, value: 1 }, { ms: a + o1, value: 0 });
    if (b < h.endMs) door.push({ ms: b, value: 1 }, { ms: b + o2, value: 0 });
  }
  const nearOut = (t: number) => outs.some(([a, b]) => t > a - 15 * MINUTE_MS && t < b + 15 * MINUTE_MS);
  for (const d of h.days) {
    const n = poisson(rd, p.doorOnlyPerWeek / 7);
    for (let i = 0; i < n; i++) {
      const t = between(rd, d.wake + 30 * MINUTE_MS, d.bed - 30 * MINUTE_MS);
      const dur = between(rd, S.doorOnlyMin[0], S.doorOnlyMin[1]) * MINUTE_MS;
      if (t + dur >= inc || nearOut(t) || within(napping, t)) continue;
      door.push({ ms: t, value: 1 }, { ms: t + dur, value: 0 });
    }
  }
  door.sort((x, y) => x.ms - y.ms);

  // The fall sensor: the incident, when it is a fall in view and the sensor reads it; false reports.
  const fall: number[] = [];
  const rf = rng(h.seed * 5087 + 13);
  const inView = rf() < p.fallInViewShare;
  const detected = rf() < p.fallDetectProb;
  const delayMs = between(rf, S.fallDelayS[0], S.fallDelayS[1]) * SECOND_MS;
  const incidentFallInView = h.incident !== undefined && !incidentOut && inView;
  if (incidentFallInView && detected && inc + delayMs < h.endMs) fall.push(inc + delayMs);
  const ordinaryEnd = Math.min(inc, h.endMs);
  const months = (ordinaryEnd - h.startMs) / (30 * 24 * HOUR_MS);
  const falseFalls = poisson(rf, p.falseFallsPerMonth * months);
  for (let i = 0; i < falseFalls; i++) fall.push(between(rf, h.startMs, ordinaryEnd - MINUTE_MS));
  fall.sort((a, b) => a - b);
  return { profile: p, outs, asleep, motion, door, fall, incidentFallInView };
}

/**
 * Whether and when the person answers a prompt heard at `promptMs` (a double press, "I am fine"):
 * never after the incident and never while out; less often asleep. Drawn from a stream of its own
 * keyed by the prompt's time, so the answer to a prompt does not depend on the prompts before it
 * (different detector settings prompt at different times).
 */
export function answerAt(
  seed: number,
  tl: SenseTimeline,
  incidentMs: number,
  promptMs: number,
): number | undefined {
  if (promptMs >= incidentMs || within(tl.outs, promptMs)) return undefined;
  const r = rng((Math.imul(seed, 0x9e3779b1) ^ Math.floor(promptMs / SECOND_MS)) >>> 0);
  r();
  const p = within(tl.asleep, promptMs) ? tl.profile.answerProbAsleep : tl.profile.answerProb;
  if (r() >= p) return undefined;
  const [lo, hi] = tl.profile.answerDelayMin;
  const at = promptMs + between(r, lo, hi) * MINUTE_MS;
  return at < incidentMs ? at : undefined;
}
