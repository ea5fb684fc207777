import type { Channel } from "../core/channels.js";
import { MINUTE_MS } from "../core/time.js";
import type { ReplayRecord } from "../replay/input.js";
import { SENSE_PARAMS as S } from "./household-params.js";
import { HOUSEHOLD_OFFSET_MIN } from "./household-profile.js";
import type { SenseTimeline } from "./household-senses.js";

/** Which senses a simulated home has besides its meters (the sensing tiers). */
export interface SenseSet {
  /** A PIR in the main room: `motion-1`, channel `motion`. */
  motion?: boolean;
  /** The entrance door contact: `door-1`, channel `door`. */
  door?: boolean;
  /** A fall sensor (mmWave) in the main room: `fall-1`, channel `fall`. */
  fall?: boolean;
}

/** The devices a sense set adds (to expect in the pipeline). */
export function senseDevices(s: SenseSet): string[] {
  return [...(s.motion ? ["motion-1"] : []), ...(s.door ? ["door-1"] : []), ...(s.fall ? ["fall-1"] : [])];
}

/** A PIR or a fall sensor reads 1 when triggered and falls back to 0 a minute after its last trigger. */
function pulses(times: readonly number[]): { ms: number; value: number }[] {
  const out: { ms: number; value: number }[] = [];
  let offAt = Number.NEGATIVE_INFINITY;
  for (const t of times) {
    if (t >= offAt) {
      if (out.length > 0) out.push({ ms: offAt, value: 0 });
      out.push({ ms: t, value: 1 });
    }
    offAt = t + MINUTE_MS;
  }
  if (out.length > 0) out.push({ ms: offAt, value: 0 });
  return out;
}

/**
 * One binary sensor's records: each change of state, and a beacon with its state every `beaconMin`
 * minutes without one (a battery sensor advertises so that it never looks dead).
 */
function binaryRecords(
  device: string,
  channel: Channel,
  changes: readonly { ms: number; value: number }[],
  startMs: number,
  endMs: number,
): ReplayRecord[] {
  const beaconMs = S.beaconMin * MINUTE_MS;
  const out: ReplayRecord[] = [];
  const rec = (ms: number, value: number): ReplayRecord => ({
    kind: "reading",
    ms,
    offsetMin: HOUSEHOLD_OFFSET_MIN,
    device,
    channel,
    value,
  });
  let state = 0;
  let last = startMs;
  out.push(rec(startMs, 0));
  for (const c of [...changes, { ms: endMs + 1, value: Number.NaN }]) {
    const ms = Math.min(Math.max(c.ms, startMs), endMs + 1);
    while (last + beaconMs < ms && last + beaconMs <= endMs) {
      last += beaconMs;
      out.push(rec(last, state));
    }
    if (Number.isNaN(c.value) || ms > endMs || c.value === state) continue;
    state = c.value;
    last = ms;
    out.push(rec(ms, state));
  }
  return out;
}

/** The records of the senses in `set`, in time order. */
export function senseRecords(
  tl: SenseTimeline,
  set: SenseSet,
  startMs: number,
  endMs: number,
): ReplayRecord[] {
  const all: ReplayRecord[] = [];
  if (set.motion) all.push(...binaryRecords("motion-1", "motion", pulses(tl.motion), startMs, endMs));
  if (set.door) all.push(...binaryRecords("door-1", "door", tl.door, startMs, endMs));
  if (set.fall) all.push(...binaryRecords("fall-1", "fall", pulses(tl.fall), startMs, endMs));
  // Stable: at one instant, motion before door before fall.
  return all.sort((a, b) => a.ms - b.ms);
}

/** Two record streams in time order merged into one (the first's records first at equal times). */
export function* mergeRecords(
  a: Iterable<ReplayRecord>,
  b: readonly ReplayRecord[],
): Generator<ReplayRecord> {
  let j = 0;
  for (const r of a) {
    while (j < b.length && (b[j] as ReplayRecord).ms < r.ms) yield b[j++] as ReplayRecord;
    yield r;
  }
  while (j < b.length) yield b[j++] as ReplayRecord;
}
