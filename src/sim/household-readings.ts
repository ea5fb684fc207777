import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from "../core/time.js";
import type { ReplayRecord } from "../replay/input.js";
import { MOTION_PARAMS as MP, HOUSEHOLD_PARAMS as P } from "./household-params.js";
import { HOUSEHOLD_OFFSET_MIN, HOUSEHOLD_START_MS, type HouseholdProfile } from "./household-profile.js";
import type { HouseEvent } from "./person-day.js";
import { rng } from "./random.js";

/**
 * What the meters of a simulated home report: every poll, the standby, the fridge and freezer cycling,
 * the person's loads and water, reading noise, missed polls, dropouts and power cuts; with the motion
 * sensor variant, its triggers. The readings have their own random stream (from the profile's seed).
 */

/** Everything decided about a household before its readings are made. */
export interface HouseholdTimeline {
  profile: HouseholdProfile;
  endMs: number;
  /** The person's loads and water, in start order. */
  events: readonly HouseEvent[];
  /** Cloud commands (announced trips), in time order. */
  commands: readonly ReplayRecord[];
  dropouts: readonly { device: string; fromMs: number; toMs: number }[];
  outages: readonly { fromMs: number; toMs: number }[];
  withMotion: boolean;
  /** Times the motion sensor triggers, in order. */
  motion: readonly number[];
}

/** The meter readings and cloud commands of a household, in time order, as replay input records. */
export function* householdRecords(h: HouseholdTimeline): Generator<ReplayRecord> {
  const p = h.profile;
  const r = rng(p.seed * 31 + 5);
  const pollMs = P.pollS * SECOND_MS;
  const resM3 = p.waterResolutionL / 1000;
  let energy = 1523.4 + p.seed * 0.37;
  let water = 287.125 + p.seed * 0.011;
  const live: HouseEvent[] = [];
  let next = 0;
  let cmd = 0;
  const cycle = (c: { w: number; onMin: number; periodMin: number }) => {
    let onAt = HOUSEHOLD_START_MS + r() * c.periodMin * MINUTE_MS;
    let offAt = onAt + c.onMin * MINUTE_MS;
    return (t: number): number => {
      while (t >= offAt + 0) {
        onAt += c.periodMin * MINUTE_MS * (0.85 + 0.3 * r());
        offAt = onAt + c.onMin * MINUTE_MS * (0.8 + 0.4 * r());
      }
      return t >= onAt ? c.w : 0;
    };
  };
  const fridge = cycle(p.fridge);
  const freezer = p.freezer ? cycle(p.freezer) : () => 0;
  const inOutage = (t: number) => h.outages.some((o) => t >= o.fromMs && t < o.toMs);
  const dropped = (device: string, t: number) =>
    h.dropouts.some((d) => d.device === device && t >= d.fromMs && t < d.toMs);
  let lastOutage = false;
  let poll = 0;
  let motionNext = 0;
  let motionOn = false;
  for (let t = HOUSEHOLD_START_MS; t <= h.endMs; t += pollMs, poll++) {
    while (cmd < h.commands.length && (h.commands[cmd] as ReplayRecord).ms <= t)
      yield h.commands[cmd++] as ReplayRecord;
    while (next < h.events.length && (h.events[next] as HouseEvent).s < t)
      live.push(h.events[next++] as HouseEvent);
    const outage = inOutage(t);
    let personW = 0;
    let litres = 0;
    const from = t - pollMs;
    for (let i = live.length - 1; i >= 0; i--) {
      const ev = live[i] as HouseEvent;
      if (ev.e <= from) {
        live.splice(i, 1);
        continue;
      }
      if (ev.s <= t && ev.e > t) personW += ev.w;
      if (ev.lpm > 0) litres += (ev.lpm * (Math.min(ev.e, t) - Math.max(ev.s, from))) / MINUTE_MS;
    }
    const drift = 2 * Math.sin((2 * Math.PI * (t % DAY_MS)) / DAY_MS);
    const noise = readingNoise(r) * p.noiseW;
    const power = outage ? 0 : Math.max(0, p.standbyW + drift + noise + fridge(t) + freezer(t) + personW);
    energy += (power * pollMs) / HOUR_MS / 1000;
    water += litres / 1000;
    if (!dropped("meter-1", t) && r() >= p.missedPoll) {
      if (p.energyOnly) yield reading(t, "meter-1", "energy_total_kwh", Math.floor(energy * 100) / 100);
      else yield reading(t, "meter-1", "power_w", Math.round(power * 10) / 10);
      if (outage || lastOutage || poll % 10 === 0)
        yield reading(t, "meter-1", "voltage_v", outage ? 0 : Math.round((229 + noise) * 10) / 10);
    }
    lastOutage = outage;
    if (h.withMotion) {
      let seen = false;
      while (motionNext < h.motion.length && (h.motion[motionNext] as number) < t) {
        seen = (h.motion[motionNext] as number) >= from || seen;
        motionNext++;
      }
      // Motion 1 when triggered in the last minute, 0 the minute after, and a beacon now and then.
      if (seen) yield reading(t, "motion-1", "motion", 1);
      else if (motionOn || poll % MP.beaconMin === 0) yield reading(t, "motion-1", "motion", 0);
      motionOn = seen;
    }
    if (!dropped("water-1", t) && r() >= p.missedPoll)
      yield reading(
        t,
        "water-1",
        "water_total_m3",
        Math.round(Math.floor(water / resM3 + 1e-9) * resM3 * 1e6) / 1e6,
      );
  }
}

function readingNoise(r: () => number): number {
  return (r() + r() + r() - 1.5) * 2;
}

function reading(
  ms: number,
  device: string,
  channel: "power_w" | "energy_total_kwh" | "voltage_v" | "water_total_m3" | "motion",
  value: number,
): ReplayRecord {
  return { kind: "reading", ms, offsetMin: HOUSEHOLD_OFFSET_MIN, device, channel, value };
}
