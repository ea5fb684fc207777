import { isoWithOffset } from "../contract/timestamps.js";
import type { ReplayRecord } from "../replay/input.js";
import { MOTION_PARAMS as MP, HOUSEHOLD_PARAMS as P, type Range } from "./household-params.js";

/**
 * A seeded simulated household for the detection evaluation, grown from the demo's resident: one
 * person with their own routine (early or late riser, naps, night toilet visits, outings, announced
 * trips away), weekdays and weekends, a fridge and sometimes a freezer cycling, standby load and
 * reading noise, a water meter of 1 L or 10 L resolution, missed polls, meter dropouts and power cuts,
 * and an incident after `days` days: activity stops for good. It writes replay input records.
 */

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
export const HOUSEHOLD_TZ = "Asia/Shanghai";
const OFFSET_MIN = 480;
/** Local midnight of Monday 2 March 2026 in the household's zone. */
export const HOUSEHOLD_START_MS = Date.parse("2026-03-02T00:00:00+08:00");

/** mulberry32: small, fast, good enough for a simulation, and the same on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

export type IncidentKind = "anytime" | "after_kettle" | "night";

export interface Incident {
  ms: number;
  kind: IncidentKind;
  /** In the person's sleeping time (after going to bed, before getting up). */
  night: boolean;
}

export interface HouseholdOptions {
  seed: number;
  /** Ordinary days before the incident day. */
  days: number;
  /** Simulate an incident on day `days` (default true); else `days` ordinary days only. */
  incident?: boolean;
  /** Hours simulated after the incident (default 24). */
  tailHours?: number;
  /** A BLE motion sensor in the main room (`motion-1`), the variant of `MOTION_PARAMS`. Default false. */
  motion?: boolean;
}

interface Ev {
  s: number;
  e: number;
  w: number;
  lpm: number;
  kettle?: boolean;
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
    maxSilenceNightMs: (sleepLen + rules.nightMarginMin) * 60_000,
  };
}

export class Household {
  readonly profile: HouseholdProfile;
  readonly incident: Incident | undefined;
  /** Announced trips: away from `fromMs` to `toMs`. */
  readonly trips: { fromMs: number; toMs: number }[] = [];
  readonly endMs: number;
  readonly #events: Ev[] = [];
  readonly #commands: ReplayRecord[] = [];
  readonly #dropouts: { device: string; fromMs: number; toMs: number }[] = [];
  readonly #outages: { fromMs: number; toMs: number }[] = [];
  /** Times the motion sensor triggers (the variant with one); empty without. */
  readonly #motion: number[] = [];
  readonly #withMotion: boolean;
  /** Per day: when the person is up, and the naps and outings cut out of it. */
  readonly #days: { wake: number; bed: number; gaps: [number, number][] }[] = [];
  #lastGaps: [number, number][] = [];
  readonly #r: () => number;

  constructor(o: HouseholdOptions) {
    this.profile = drawProfile(o.seed);
    this.#r = rng(o.seed * 104729 + 3);
    const r = this.#r;
    const p = this.profile;
    const withIncident = o.incident ?? true;
    const simDays = o.days + (withIncident ? 1 : 0);
    // Trips: whole days away, announced with a watch command that ends by itself.
    const awayDay = new Set<number>();
    for (let t = 0; t < p.trips; t++) {
      const len = Math.round(P.tripDays[0] + r() * (P.tripDays[1] - P.tripDays[0]));
      const first = 3 + Math.floor(r() * Math.max(1, o.days - len - 6));
      let clash = false;
      for (let d = first - 1; d <= first + len + 1; d++) if (awayDay.has(d)) clash = true;
      if (clash) continue;
      for (let d = first; d <= first + len; d++) awayDay.add(d);
      const fromMs = HOUSEHOLD_START_MS + first * DAY + 9 * HOUR + Math.floor(r() * 2 * HOUR);
      const toMs = HOUSEHOLD_START_MS + (first + len) * DAY + 15 * HOUR + Math.floor(r() * 3 * HOUR);
      this.trips.push({ fromMs, toMs });
      this.#commands.push({
        kind: "watch",
        ms: fromMs - 5 * MIN,
        offsetMin: OFFSET_MIN,
        level: "away",
        untilMs: toMs,
      });
    }
    let prevBed = HOUSEHOLD_START_MS - DAY + p.bedMin * MIN;
    let incident: Incident | undefined;
    for (let d = 0; d < simDays; d++) {
      const day0 = HOUSEHOLD_START_MS + d * DAY;
      const weekend = d % 7 >= 5;
      const wake =
        day0 + (p.wakeMin + (weekend ? p.weekendShiftMin : 0) + this.#gauss() * p.wakeJitterMin) * MIN;
      const bed = day0 + (p.bedMin + this.#gauss() * p.bedJitterMin) * MIN;
      const dayEvents = this.#day(day0, wake, bed, prevBed);
      this.#days.push({ wake, bed, gaps: this.#lastGaps });
      if (withIncident && d === o.days) {
        incident = this.#incident(dayEvents, day0, wake, bed, prevBed);
        // What the person had switched on stays on (nobody turns off the light or the television);
        // only a kettle switches itself off. Water that was running stops (taps are short here).
        for (const ev of dayEvents) {
          if (ev.s >= incident.ms) continue;
          if (!ev.kettle && ev.w > 0 && ev.e > incident.ms) ev.e = Number.POSITIVE_INFINITY;
          this.#events.push(ev);
        }
        for (const ev of this.#events)
          if (!ev.kettle && ev.w > 0 && ev.s < incident.ms && ev.e > incident.ms)
            ev.e = Number.POSITIVE_INFINITY;
      } else {
        for (const ev of dayEvents) {
          const away = this.trips.some((t) => ev.s >= t.fromMs && ev.s < t.toMs);
          if (!away) this.#events.push(ev);
        }
      }
      prevBed = bed;
    }
    this.incident = incident;
    this.endMs = incident ? incident.ms + (o.tailHours ?? 24) * HOUR : HOUSEHOLD_START_MS + o.days * DAY;
    for (let i = 0; i < p.dropouts; i++) {
      const fromMs = HOUSEHOLD_START_MS + Math.floor(r() * o.days * DAY);
      const min = P.dropoutMin[0] + r() * (P.dropoutMin[1] - P.dropoutMin[0]);
      this.#dropouts.push({ device: r() < 0.5 ? "meter-1" : "water-1", fromMs, toMs: fromMs + min * MIN });
    }
    for (let i = 0; i < p.outages; i++) {
      const fromMs = HOUSEHOLD_START_MS + Math.floor(r() * o.days * DAY);
      const min = P.outageMin[0] + r() * (P.outageMin[1] - P.outageMin[0]);
      this.#outages.push({ fromMs, toMs: fromMs + min * MIN });
    }
    this.#events.sort((a, b) => a.s - b.s);
    this.#commands.sort((a, b) => a.ms - b.ms);
    this.#withMotion = o.motion ?? false;
    if (this.#withMotion) this.#placeMotion(o.seed);
  }

  /**
   * The motion sensor's triggers: a Poisson process while the person is up and at home (not napping,
   * not out, not away, not after the incident), and some of the night toilet visits. Its own random
   * stream, so the rest of the home is the same with or without it.
   */
  #placeMotion(seed: number): void {
    const r = rng(seed * 613 + 29);
    const u = (range: Range) => range[0] + (range[1] - range[0]) * r();
    const perHour = u(MP.triggersPerHour);
    const nightSeen = u(MP.nightVisitSeen);
    const end = this.incident?.ms ?? Number.POSITIVE_INFINITY;
    const away = (t: number) => this.trips.some((x) => t >= x.fromMs && t < x.toMs);
    for (const d of this.#days) {
      let t = d.wake;
      for (;;) {
        t += (-Math.log(1 - r()) / perHour) * HOUR;
        if (t >= d.bed || t >= end) break;
        if (d.gaps.some(([a, b]) => t >= a && t < b) || away(t)) continue;
        this.#motion.push(t);
      }
    }
    const up = (t: number) => this.#days.some((d) => t >= d.wake && t < d.bed);
    for (const ev of this.#events)
      if (ev.lpm > 0 && ev.s < end && !up(ev.s) && r() < nightSeen) this.#motion.push(ev.s);
    this.#motion.sort((a, b) => a - b);
  }

  /**
   * Ground truth for the evaluation's bound: every moment the person did something a meter can see
   * (switching a load on, switching it off, running water), in time order, before the incident. A
   * kettle switching itself off is not the person.
   */
  actions(): number[] {
    const out: number[] = [];
    const until = this.incident?.ms ?? Number.POSITIVE_INFINITY;
    for (const ev of this.#events) {
      if (ev.s < until) out.push(ev.s);
      if (ev.w > 0 && !ev.kettle && ev.e < until) out.push(ev.e);
    }
    return out.sort((a, b) => a - b);
  }

  /** The home's settings an installer would make (see `installerSettings`). */
  settings(rules: InstallerRules = DEFAULT_INSTALLER): ReturnType<typeof installerSettings> {
    return installerSettings(this.profile, rules);
  }

  #gauss(): number {
    const r = this.#r;
    return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  }

  #poisson(mean: number): number {
    const l = Math.exp(-mean);
    let k = 0;
    let p = 1;
    for (;;) {
      p *= this.#r();
      if (p <= l) return k;
      k++;
    }
  }

  #between(a: number, b: number): number {
    return a + this.#r() * Math.max(0, b - a);
  }

  /** One day of the person's own loads and water, before outings and naps are cut out. */
  #day(day0: number, wake: number, bed: number, prevBed: number): Ev[] {
    const p = this.profile;
    const r = this.#r;
    const out: Ev[] = [];
    const add = (s: number, durMin: number, w: number, lpm: number, kettle = false) =>
      out.push({ s, e: s + durMin * MIN, w, lpm, ...(kettle ? { kettle } : {}) });
    // The night before getting up: toilet visits, sometimes with a light.
    const visits = this.#poisson(p.nightVisits);
    for (let i = 0; i < visits; i++) {
      const t = this.#between(Math.max(prevBed + 45 * MIN, day0 - 2 * HOUR), wake - 20 * MIN);
      if (r() < p.nightLightProb) add(t, 2 + r() * 4, p.nightLightW, 0);
      add(t + MIN, 1, 0, p.flushL);
    }
    // Getting up.
    add(wake + r() * 10 * MIN, 1, 0, p.flushL);
    add(wake + (5 + r() * 15) * MIN, 1 + r() * 2, 0, 4);
    const kettles = Math.max(0, Math.round(p.kettlePerDay + (r() - 0.5) * 2));
    for (let i = 0; i < kettles; i++) {
      const t = i === 0 ? wake + (10 + r() * 30) * MIN : this.#between(wake, bed - 30 * MIN);
      add(t, 3 + r(), p.kettleW, 0, true);
    }
    const meals = Math.max(0, Math.round(p.mealsPerDay + (r() - 0.5)));
    const mealAt = [
      wake + 40 * MIN,
      day0 + (11.5 * 60 + this.#gauss() * 30) * MIN,
      day0 + (17.5 * 60 + this.#gauss() * 30) * MIN,
    ];
    for (let i = 0; i < meals; i++) {
      const t = mealAt[meals === 1 ? 1 + Math.floor(r() * 2) : meals === 2 ? 1 + i : i] as number;
      const dur = 15 + r() * 25;
      add(t, dur, p.cookW, 0);
      add(t + (dur + 20 + r() * 20) * MIN, 3 + r() * 4, 0, 5);
    }
    if (r() < p.tvProb) {
      const t = day0 + (19 * 60 + this.#gauss() * 45) * MIN;
      add(t, Math.max(20, Math.min(p.tvHours * 60, (bed - t) / MIN)), p.tvW, 0);
    }
    const lightOn = day0 + (18.5 * 60 + this.#gauss() * 20) * MIN;
    if (bed > lightOn) add(lightOn, (bed - lightOn) / MIN, p.lightW, 0);
    const flushes = this.#poisson(p.flushesPerDay);
    for (let i = 0; i < flushes; i++) add(this.#between(wake, bed), 1, 0, p.flushL);
    const washes = this.#poisson(p.washesPerDay);
    for (let i = 0; i < washes; i++) add(this.#between(wake, bed), 0.5 + r() * 2, 0, 4);
    if (r() < p.showerProb) {
      const t = r() < 0.7 ? bed - (30 + r() * 60) * MIN : wake + (15 + r() * 30) * MIN;
      add(t, 6 + r() * 10, 0, 7);
    }
    // Naps and outings: the person does nothing at home meanwhile.
    const gaps: [number, number][] = [];
    if (r() < p.napProb) {
      const s = day0 + (13 * 60 + r() * 150) * MIN;
      gaps.push([s, s + (P.napMin[0] + r() * (P.napMin[1] - P.napMin[0])) * MIN]);
    }
    const outings = this.#poisson(p.outingsPerWeek / 7);
    for (let i = 0; i < outings; i++) {
      const s = this.#between(Math.max(wake + 60 * MIN, day0 + 8.5 * HOUR), day0 + 16.5 * HOUR);
      gaps.push([s, s + (P.outingMin[0] + r() * (P.outingMin[1] - P.outingMin[0])) * MIN]);
    }
    this.#lastGaps = gaps;
    return out.filter((ev) => !gaps.some(([a, b]) => ev.s >= a && ev.s < b));
  }

  #incident(events: Ev[], day0: number, wake: number, bed: number, prevBed: number): Incident {
    const r = this.#r;
    const x = r();
    const mix = P.incidentMix;
    const isNight = (t: number) => t < wake || t >= bed;
    if (x < mix.anytime) {
      const ms = day0 + Math.floor(r() * DAY);
      return { ms, kind: "anytime", night: isNight(ms) };
    }
    if (x < mix.anytime + mix.after_kettle) {
      const kettles = events.filter((e) => e.kettle);
      const k = kettles[Math.floor(r() * kettles.length)];
      if (k) return { ms: k.e + MIN, kind: "after_kettle", night: isNight(k.e + MIN) };
      const ms = this.#between(wake, bed);
      return { ms, kind: "anytime", night: false };
    }
    const nightEnd = events.filter((e) => e.s < wake && e.lpm > 0);
    const v = nightEnd[Math.floor(r() * nightEnd.length)];
    const ms = v ? v.e + MIN : this.#between(Math.max(prevBed, day0 - 2 * HOUR) + 30 * MIN, wake - 10 * MIN);
    return { ms, kind: "night", night: true };
  }

  /** The meter readings and cloud commands, in time order, as replay input records. */
  *records(): Generator<ReplayRecord> {
    const p = this.profile;
    const r = rng(p.seed * 31 + 5);
    const pollMs = P.pollS * 1000;
    const resM3 = p.waterResolutionL / 1000;
    let energy = 1523.4 + p.seed * 0.37;
    let water = 287.125 + p.seed * 0.011;
    const live: Ev[] = [];
    let next = 0;
    let cmd = 0;
    const cycle = (c: { w: number; onMin: number; periodMin: number }) => {
      let onAt = HOUSEHOLD_START_MS + r() * c.periodMin * MIN;
      let offAt = onAt + c.onMin * MIN;
      return (t: number): number => {
        while (t >= offAt + 0) {
          onAt += c.periodMin * MIN * (0.85 + 0.3 * r());
          offAt = onAt + c.onMin * MIN * (0.8 + 0.4 * r());
        }
        return t >= onAt ? c.w : 0;
      };
    };
    const fridge = cycle(p.fridge);
    const freezer = p.freezer ? cycle(p.freezer) : () => 0;
    const inOutage = (t: number) => this.#outages.some((o) => t >= o.fromMs && t < o.toMs);
    const dropped = (device: string, t: number) =>
      this.#dropouts.some((d) => d.device === device && t >= d.fromMs && t < d.toMs);
    let lastOutage = false;
    let poll = 0;
    let motionNext = 0;
    let motionOn = false;
    for (let t = HOUSEHOLD_START_MS; t <= this.endMs; t += pollMs, poll++) {
      while (cmd < this.#commands.length && (this.#commands[cmd] as ReplayRecord).ms <= t)
        yield this.#commands[cmd++] as ReplayRecord;
      while (next < this.#events.length && (this.#events[next] as Ev).s < t)
        live.push(this.#events[next++] as Ev);
      const outage = inOutage(t);
      let personW = 0;
      let litres = 0;
      const from = t - pollMs;
      for (let i = live.length - 1; i >= 0; i--) {
        const ev = live[i] as Ev;
        if (ev.e <= from) {
          live.splice(i, 1);
          continue;
        }
        if (ev.s <= t && ev.e > t) personW += ev.w;
        if (ev.lpm > 0) litres += (ev.lpm * (Math.min(ev.e, t) - Math.max(ev.s, from))) / MIN;
      }
      const drift = 2 * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
      const noise = this.#noise(r) * p.noiseW;
      const power = outage ? 0 : Math.max(0, p.standbyW + drift + noise + fridge(t) + freezer(t) + personW);
      energy += (power * pollMs) / HOUR / 1000;
      water += litres / 1000;
      if (!dropped("meter-1", t) && r() >= p.missedPoll) {
        if (p.energyOnly)
          yield this.#reading(t, "meter-1", "energy_total_kwh", Math.floor(energy * 100) / 100);
        else yield this.#reading(t, "meter-1", "power_w", Math.round(power * 10) / 10);
        if (outage || lastOutage || poll % 10 === 0)
          yield this.#reading(t, "meter-1", "voltage_v", outage ? 0 : Math.round((229 + noise) * 10) / 10);
      }
      lastOutage = outage;
      if (this.#withMotion) {
        let seen = false;
        while (motionNext < this.#motion.length && (this.#motion[motionNext] as number) < t) {
          seen = (this.#motion[motionNext] as number) >= from || seen;
          motionNext++;
        }
        // Motion 1 when triggered in the last minute, 0 the minute after, and a beacon now and then.
        if (seen) yield this.#reading(t, "motion-1", "motion", 1);
        else if (motionOn || poll % MP.beaconMin === 0) yield this.#reading(t, "motion-1", "motion", 0);
        motionOn = seen;
      }
      if (!dropped("water-1", t) && r() >= p.missedPoll)
        yield this.#reading(
          t,
          "water-1",
          "water_total_m3",
          Math.round(Math.floor(water / resM3 + 1e-9) * resM3 * 1e6) / 1e6,
        );
    }
  }

  #noise(r: () => number): number {
    return (r() + r() + r() - 1.5) * 2;
  }

  #reading(
    ms: number,
    device: string,
    channel: "power_w" | "energy_total_kwh" | "voltage_v" | "water_total_m3" | "motion",
    value: number,
  ): ReplayRecord {
    return { kind: "reading", ms, offsetMin: OFFSET_MIN, device, channel, value };
  }
}

/** One record as a line of `hearth replay` input. */
export function recordLine(rec: ReplayRecord): string {
  const ts = isoWithOffset(rec.ms, HOUSEHOLD_TZ);
  switch (rec.kind) {
    case "reading":
      return `{"ts":"${ts}","device":"${rec.device}","channel":"${rec.channel}","value":${rec.value}}`;
    case "button":
      return `{"ts":"${ts}","device":"${rec.device}","channel":"button","value":"${rec.event}"}`;
    case "watch":
      return JSON.stringify({
        ts,
        command: "watch",
        level: rec.level,
        ...(rec.untilMs !== undefined ? { until: isoWithOffset(rec.untilMs, HOUSEHOLD_TZ) } : {}),
      });
    case "ack":
      return JSON.stringify({ ts, command: "ack", alert: rec.alert });
    default:
      return "";
  }
}
