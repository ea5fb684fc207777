/**
 * Memory allocated per round of the detection replay bench (20 home-days, tests/bench/suite/
 * detection-speed.ts), and where, from V8's sampling heap profiler with the objects the collectors have
 * already freed included: what a replay makes and drops, not what it keeps.
 *
 * Run: npx vite-node tests/bench/replay-alloc.ts
 */
import { Session } from "node:inspector/promises";
import { runReplay } from "../../src/replay/run.js";
import { replayLines } from "./suite/detection-speed.js";

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
}

const ROUNDS = 3;
const input = replayLines(20);
const replay = () => runReplay(input, { emit: () => undefined, problem: () => undefined });
await replay(); // warm-up, not sampled
const s = new Session();
s.connect();
await s.post("HeapProfiler.enable");
await s.post("HeapProfiler.startSampling", {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
for (let i = 0; i < ROUNDS; i++) await replay();
const { profile } = (await s.post("HeapProfiler.stopSampling")) as { profile: { head: SampleNode } };
const bySite = new Map<string, number>();
let total = 0;
const walk = (n: SampleNode): void => {
  if (n.selfSize > 0) {
    const f = n.callFrame;
    const site = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
    total += n.selfSize;
  }
  for (const c of n.children) walk(c);
};
walk(profile.head);
const mb = (b: number) => (b / ROUNDS / 1e6).toFixed(1);
console.log(`allocated per round (sampled): ${mb(total)} MB`);
for (const [site, b] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`${mb(b).padStart(6)} MB  ${site}`);
