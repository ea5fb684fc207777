import { isoWithOffset } from "../contract/timestamps.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../core/time.js";
import type { ReplayRecord } from "../replay/input.js";
import { MOTION_PARAMS as MP, HOUSEHOLD_PARAMS as P, type Range } from "./household-params.js";
import {
  DEFAULT_INSTALLER,
  drawProfile,
  HOUSEHOLD_OFFSET_MIN,
  HOUSEHOLD_START_MS,
  HOUSEHOLD_TZ,
  type HouseholdProfile,
  type InstallerRules,
  installerSettings,
} from "./household-profile.js";
import { householdRecords } from "./household-readings.js";
import { mergeRecords, type SenseSet, senseRecords } from "./household-sense-records.js";
import { answerAt, type SenseDay, type SenseTimeline, senseTimeline } from "./household-senses.js";
import { drawIncident, type HouseEvent, type Incident, personDay } from "./person-day.js";
import { gauss, rng } from "./random.js";

/**
 * A seeded simulated household for the detection evaluation, grown from the demo's resident: one
 * person with their own routine (early or late riser, naps, night toilet visits, outings, announced
 * trips away), weekdays and weekends, a fridge and sometimes a freezer cycling, standby load and
 * reading noise, a water meter of 1 L or 10 L resolution, missed polls, meter dropouts and power cuts,
 * and an incident after `days` days: activity stops for good. It writes replay input records.
 * The person is drawn in household-profile.ts, their days in person-day.ts, the meters' readings in
 * household-readings.ts.
 */

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
  /**
   * The sensing tiers' senses (`SENSE_PARAMS`): a PIR, the entrance door, a fall sensor. Each from its
   * own random stream: the meters and the person are the same with or without them.
   */
  senses?: SenseSet;
}

export class Household {
  readonly profile: HouseholdProfile;
  readonly incident: Incident | undefined;
  /** Announced trips: away from `fromMs` to `toMs`. */
  readonly trips: { fromMs: number; toMs: number }[] = [];
  readonly endMs: number;
  readonly #events: HouseEvent[] = [];
  readonly #commands: ReplayRecord[] = [];
  readonly #dropouts: { device: string; fromMs: number; toMs: number }[] = [];
  readonly #outages: { fromMs: number; toMs: number }[] = [];
  /** Times the motion sensor triggers (the variant with one); empty without. */
  readonly #motion: number[] = [];
  readonly #withMotion: boolean;
  /** Per day: when the person is up, and the naps and outings cut out of it. */
  readonly #days: (SenseDay & { gaps: [number, number][] })[] = [];
  readonly #seed: number;
  readonly #senseSet: SenseSet;
  #senses: SenseTimeline | undefined;

  constructor(o: HouseholdOptions) {
    this.profile = drawProfile(o.seed);
    this.#seed = o.seed;
    this.#senseSet = o.senses ?? {};
    const r = rng(o.seed * 104729 + 3);
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
      const fromMs = HOUSEHOLD_START_MS + first * DAY_MS + 9 * HOUR_MS + Math.floor(r() * 2 * HOUR_MS);
      const toMs = HOUSEHOLD_START_MS + (first + len) * DAY_MS + 15 * HOUR_MS + Math.floor(r() * 3 * HOUR_MS);
      this.trips.push({ fromMs, toMs });
      this.#commands.push({
        kind: "watch",
        ms: fromMs - 5 * MINUTE_MS,
        offsetMin: HOUSEHOLD_OFFSET_MIN,
        level: "away",
        untilMs: toMs,
      });
    }
    let prevBed = HOUSEHOLD_START_MS - DAY_MS + p.bedMin * MINUTE_MS;
    let incident: Incident | undefined;
    for (let d = 0; d < simDays; d++) {
      const day0 = HOUSEHOLD_START_MS + d * DAY_MS;
      const weekend = d % 7 >= 5;
      const wake =
        day0 + (p.wakeMin + (weekend ? p.weekendShiftMin : 0) + gauss(r) * p.wakeJitterMin) * MINUTE_MS;
      const bed = day0 + (p.bedMin + gauss(r) * p.bedJitterMin) * MINUTE_MS;
      const { events: dayEvents, gaps, naps, outings } = personDay(r, p, day0, wake, bed, prevBed);
      this.#days.push({ wake, bed, gaps, naps, outings });
      if (withIncident && d === o.days) {
        incident = drawIncident(r, dayEvents, day0, wake, bed, prevBed);
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
    this.endMs = incident
      ? incident.ms + (o.tailHours ?? 24) * HOUR_MS
      : HOUSEHOLD_START_MS + o.days * DAY_MS;
    for (let i = 0; i < p.dropouts; i++) {
      const fromMs = HOUSEHOLD_START_MS + Math.floor(r() * o.days * DAY_MS);
      const min = P.dropoutMin[0] + r() * (P.dropoutMin[1] - P.dropoutMin[0]);
      this.#dropouts.push({
        device: r() < 0.5 ? "meter-1" : "water-1",
        fromMs,
        toMs: fromMs + min * MINUTE_MS,
      });
    }
    for (let i = 0; i < p.outages; i++) {
      const fromMs = HOUSEHOLD_START_MS + Math.floor(r() * o.days * DAY_MS);
      const min = P.outageMin[0] + r() * (P.outageMin[1] - P.outageMin[0]);
      this.#outages.push({ fromMs, toMs: fromMs + min * MINUTE_MS });
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
        t += (-Math.log(1 - r()) / perHour) * HOUR_MS;
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

  /** What the sensing tiers' senses see, and where the person is (computed once, on first use). */
  senses(): SenseTimeline {
    if (this.#senses) return this.#senses;
    const up = (t: number) => this.#days.some((d) => t >= d.wake && t < d.bed);
    const until = this.incident?.ms ?? Number.POSITIVE_INFINITY;
    this.#senses = senseTimeline({
      seed: this.#seed,
      startMs: HOUSEHOLD_START_MS,
      endMs: this.endMs,
      days: this.#days,
      trips: this.trips,
      incident: this.incident,
      nightVisits: this.#events.filter((ev) => ev.lpm > 0 && ev.s < until && !up(ev.s)).map((ev) => ev.s),
    });
    return this.#senses;
  }

  /** Ground truth: out of the home (unannounced outings and announced trips). */
  outIntervals(): readonly [number, number][] {
    return this.senses().outs;
  }

  /** Ground truth: asleep (nights and naps). */
  asleepIntervals(): readonly [number, number][] {
    return this.senses().asleep;
  }

  /** Ground truth: the incident is a fall in the fall sensor's view. */
  incidentIsFallInView(): boolean {
    return this.senses().incidentFallInView;
  }

  /**
   * When the person answers a pre-alarm prompt heard at `promptMs` ("I am fine"), or undefined: only
   * when home and before the incident; less often asleep.
   */
  answerAt(promptMs: number): number | undefined {
    return answerAt(this.#seed, this.senses(), this.incident?.ms ?? Number.POSITIVE_INFINITY, promptMs);
  }

  /** The home's settings an installer would make (see `installerSettings`). */
  settings(rules: InstallerRules = DEFAULT_INSTALLER): ReturnType<typeof installerSettings> {
    return installerSettings(this.profile, rules);
  }

  /** The meter readings and cloud commands, in time order, as replay input records. */
  records(): Generator<ReplayRecord> {
    const meters = householdRecords({
      profile: this.profile,
      endMs: this.endMs,
      events: this.#events,
      commands: this.#commands,
      dropouts: this.#dropouts,
      outages: this.#outages,
      withMotion: this.#withMotion,
      motion: this.#motion,
    });
    const set = this.#senseSet;
    if (!set.motion && !set.door && !set.fall) return meters;
    return mergeRecords(meters, senseRecords(this.senses(), set, HOUSEHOLD_START_MS, this.endMs));
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
