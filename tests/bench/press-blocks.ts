/**
 * Press → PUBACK against its floor, block by block (issue 14): `npm run bench`'s press row
 * (suite/press-latency.ts) over a longer run, its p50 and p99 printed per block of presses, so that the
 * first seconds (V8 still compiling, on the same two cores as Mosquitto) can be told from the steady
 * state after them.
 *
 *   npx vite-node tests/bench/press-blocks.ts                    6,000 presses, blocks of 2,000
 *   HEARTH_BENCH_PRESSES=4000 HEARTH_BENCH_BLOCK=1000 npx vite-node tests/bench/press-blocks.ts
 *   HEARTH_BENCH_NODE_FLAGS="--max-semi-space-size=1 --lite-mode" npx vite-node tests/bench/press-blocks.ts
 *
 * With HEARTH_BENCH_NODE_FLAGS the rig runs in a `node` started with those flags (the unit's, in
 * deploy/hearth.service): vite-node cannot run under `--lite-mode` (no WebAssembly), so this file is
 * bundled with esbuild (vite's own) and the bundle run.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pct } from "./suite/press-rig.js";

const flags = process.env.HEARTH_BENCH_NODE_FLAGS;
if (flags && process.env.HEARTH_BENCH_BUNDLED !== "1") {
  const { build } = await import("esbuild");
  const dir = join("node_modules", ".cache", "hearth-bench");
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, "press-blocks.mjs");
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile,
    logLevel: "warning",
  });
  const r = spawnSync(process.execPath, [...flags.split(/\s+/).filter(Boolean), outfile], {
    stdio: "inherit",
    env: { ...process.env, HEARTH_BENCH_BUNDLED: "1" },
  });
  process.exit(r.status ?? 1);
}

const { pressPairs } = await import("./suite/press-latency.js");
const presses = Number(process.env.HEARTH_BENCH_PRESSES ?? 6000);
const block = Number(process.env.HEARTH_BENCH_BLOCK ?? 2000);
const started = loadavg()[0] ?? 0;
const { ours, floor } = await pressPairs(presses);
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
const ms = (x: number) => x.toFixed(2);
const row = (label: string, o: number[], f: number[]) => {
  const [so, sf] = [sorted(o), sorted(f)];
  const [o50, o99, f50, f99] = [pct(so, 50), pct(so, 99), pct(sf, 50), pct(sf, 99)];
  console.log(
    `| ${label} | ${ms(o50)} / ${ms(f50)} (${(o50 / f50).toFixed(2)}×) | ${ms(o99)} / ${ms(f99)} (${(o99 / f99).toFixed(2)}×) |`,
  );
};
console.log(
  `press → PUBACK, ${presses} presses, node flags: ${flags ?? "none"}; load average ${started.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`,
);
console.log("| presses | p50 ms, ours / floor | p99 ms, ours / floor |");
console.log("| --- | --- | --- |");
for (let at = 0; at < ours.length; at += block)
  row(
    `${at + 1}–${Math.min(at + block, ours.length)}`,
    ours.slice(at, at + block),
    floor.slice(at, at + block),
  );
row("all", ours, floor);
process.exit(0);
