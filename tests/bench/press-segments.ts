/**
 * Press → PUBACK split into its steps, beside its floor's (issue 14): `npm run bench`'s press row
 * (suite/press-latency.ts), its presses stamped where the time goes, by blocks of presses, with the
 * young-generation collections that fell in each side's wait.
 *
 *   npx vite-node tests/bench/press-segments.ts                          4,000 presses, blocks of 2,000
 *   HEARTH_BENCH_PRESSES=6000 HEARTH_BENCH_BLOCK=3000 npx vite-node tests/bench/press-segments.ts
 *
 * Our steps: the advert's arrival → the group's COMMIT begins (decryption, the pipeline, the rows'
 * statements); the COMMIT (its fsync); → the alert's PUBLISH written (MQTT.js `packetsend`); → its PUBACK
 * read (`packetreceive`). The floor's: its INSERT with its commit; its publish → PUBACK. Bench-only
 * instrumentation of better-sqlite3's and MQTT.js's prototypes, as press-rig.ts taps the outbox.
 */
import { loadavg } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import { pressPairs } from "./suite/press-latency.js";
import { pct, Stopwatch } from "./suite/press-rig.js";

/** One press's stamps beyond the rig's own (performance.now(), ms). */
interface Stamps {
  commitStart?: number;
  commitEnd?: number;
  published?: number;
  pubackRead?: number;
}

const stamps: Stamps[] = [];
const current = () => stamps[stamps.length - 1];

const arm = Stopwatch.prototype.arm;
Stopwatch.prototype.arm = function (this: Stopwatch) {
  stamps.push({});
  arm.call(this);
};

// The press's group COMMIT: the first one after the press was armed.
const statement = Object.getPrototypeOf(new Database(":memory:").prepare("SELECT 1")) as {
  run: (...args: unknown[]) => unknown;
};
const run = statement.run;
statement.run = function (this: { source: string }, ...args: unknown[]) {
  const s = this.source === "COMMIT" ? current() : undefined;
  if (!s || s.commitStart !== undefined) return run.apply(this, args);
  const start = performance.now();
  const r = run.apply(this, args);
  s.commitStart = start;
  s.commitEnd = performance.now();
  return r;
};

// The alert's PUBLISH and its PUBACK, on the agent's client (not the floor's).
const FLOOR_CLIENT = "bench-floor";
const client = mqtt.MqttClient.prototype as unknown as {
  emit: (event: string, ...args: unknown[]) => boolean;
  options: { clientId?: string };
};
const emit = client.emit;
client.emit = function (this: typeof client, event: string, ...args: unknown[]) {
  const p = args[0] as { cmd?: string; topic?: string } | undefined;
  const s = this.options.clientId === FLOOR_CLIENT ? undefined : current();
  if (s && event === "packetsend" && p?.cmd === "publish" && String(p.topic).endsWith("/alert"))
    s.published ??= performance.now();
  if (s && event === "packetreceive" && p?.cmd === "puback" && s.published !== undefined)
    s.pubackRead ??= performance.now();
  return emit.call(this, event, ...args);
};

const scavenges: { start: number; end: number }[] = [];
// kind 1: a scavenge (PerformanceObserver's NODE_PERFORMANCE_GC_MINOR).
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    if ((e as { detail?: { kind?: number } }).detail?.kind === 1)
      scavenges.push({ start: e.startTime, end: e.startTime + e.duration });
}).observe({ entryTypes: ["gc"] });

const presses = Number(process.env.HEARTH_BENCH_PRESSES ?? 4000);
const block = Number(process.env.HEARTH_BENCH_BLOCK ?? 2000);
const load = loadavg()[0] ?? 0;
const pairs = await pressPairs(presses);
const mine = stamps.slice(-pairs.samples.length);

const ms = (x: number) => x.toFixed(3);
const quantiles = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return `${ms(pct(s, 50))} / ${ms(pct(s, 99))}`;
};
const during = (from: number, to: number) => scavenges.filter((g) => g.end > from && g.start < to).length;

console.log(
  `press → PUBACK by step, ${presses} presses; load average ${load.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}; ms, p50 / p99`,
);
for (let at = 0; at < pairs.samples.length; at += block) {
  const end = Math.min(at + block, pairs.samples.length);
  const ours = pairs.samples.slice(at, end);
  const st = mine.slice(at, end);
  const floor = pairs.floorStamps.slice(at, end);
  const step = (f: (i: number) => number) => quantiles(ours.map((_, i) => f(i)));
  const s = (i: number) => st[i] as Required<Stamps>;
  const first = ours[0]?.received ?? 0;
  const last = floor[floor.length - 1]?.end ?? 0;
  console.log(`\n| presses ${at + 1}–${end} | ours | floor |`);
  console.log("| --- | --- | --- |");
  console.log(
    `| whole | ${step((i) => (ours[i]?.acked ?? 0) - (ours[i]?.received ?? 0))} | ${quantiles(floor.map((f) => f.end - f.start))} |`,
  );
  console.log(`| advert → COMMIT begins | ${step((i) => s(i).commitStart - (ours[i]?.received ?? 0))} | – |`);
  console.log(
    `| COMMIT (ours) / INSERT and commit (floor) | ${step((i) => s(i).commitEnd - s(i).commitStart)} | ${quantiles(floor.map((f) => f.committed - f.start))} |`,
  );
  console.log(`| durable → PUBLISH written | ${step((i) => s(i).published - (ours[i]?.durable ?? 0))} | – |`);
  console.log(
    `| PUBLISH → PUBACK read (floor: commit → PUBACK) | ${step((i) => s(i).pubackRead - s(i).published)} | ${quantiles(floor.map((f) => f.end - f.committed))} |`,
  );
  const oursWait = ours.reduce((n, _, i) => n + during(s(i).published, ours[i]?.acked ?? 0), 0);
  const floorWait = floor.reduce((n, f) => n + during(f.committed, f.end), 0);
  console.log(
    `| scavenges: in the block / in our PUBACK wait / in the floor's | ${during(first, last)} | ${oursWait} / ${floorWait} |`,
  );
}
process.exit(0);
