/**
 * `npm run fuzz [-- --target NAME[,NAME…]] [--runs N] [--seed N] [--json FILE]`: every fuzz target at
 * FUZZ_RUNS (default 1,000,000) cases, the same properties the CI tests run at a few hundred. Prints,
 * per target, the cases, the typed errors seen by code, any escape with its shrunk counterexample, the
 * heap (after gc) before, after each tenth of the run and at the end, and the duration. Exit 1 when
 * anything escaped, 2 for a bad argument.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type FuzzReport, fuzz } from "./harness.js";
import { closeControlRig, TARGETS } from "./targets.js";

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run fuzz -- [--target NAME[,NAME…]] [--runs N] [--seed N] [--json FILE]\ntargets: ${TARGETS.map((t) => t.name).join(", ")}\n`,
  );
  process.exit(2);
}

let args: ReturnType<typeof parseArgs<{ options: Record<string, { type: "string" }> }>>["values"];
try {
  ({ values: args } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== "--"),
    options: {
      target: { type: "string" },
      runs: { type: "string" },
      seed: { type: "string" },
      json: { type: "string" },
    },
  }));
} catch (e) {
  usage(e instanceof Error ? e.message : String(e));
}
const runs = Number(args.runs ?? process.env.FUZZ_RUNS ?? 1_000_000);
if (!Number.isSafeInteger(runs) || runs < 1)
  usage(`--runs / FUZZ_RUNS must be a positive integer, got ${runs}`);
const seed = args.seed !== undefined ? Number(args.seed) : Date.now() % 2 ** 31;
if (!Number.isSafeInteger(seed)) usage(`--seed must be an integer, got ${args.seed}`);
const names = args.target?.split(",").map((s) => s.trim());
const unknown = names?.filter((n) => !TARGETS.some((t) => t.name === n)) ?? [];
if (unknown.length > 0) usage(`unknown target(s): ${unknown.join(", ")}`);
const selected = TARGETS.filter((t) => !names || names.includes(t.name));

const fmt = (n: number) => n.toLocaleString("en-US");
const out = (s: string) => process.stdout.write(`${s}\n`);
out(`fuzz: ${selected.length} target(s), ${fmt(runs)} cases each, seed ${seed}, node ${process.version}`);
const reports: FuzzReport[] = [];
for (const t of selected) {
  const r = await fuzz(t, { numRuns: runs, seed, chunks: 10 });
  reports.push(r);
  const typed = Object.entries(r.typed)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(", ");
  out(
    `\n${r.target}: ${fmt(r.cases)} cases in ${(r.ms / 1000).toFixed(1)} s (${fmt(Math.round(r.cases / (r.ms / 1000)))}/s)`,
  );
  out(`  typed errors: ${typed || "none"}`);
  out(
    `  heap MiB: before ${r.heapBeforeMiB}, after each tenth ${r.heapAfterChunksMiB.join(" ")}, after ${r.heapAfterMiB}`,
  );
  if (r.escape) {
    out(`  ESCAPE (seed ${r.escape.seed}${r.escape.path ? `, path ${r.escape.path}` : ""}):`);
    out(`    counterexample: ${r.escape.counterexample}`);
    out(`    ${r.escape.error.split("\n").join("\n    ")}`);
  } else out("  escapes: none");
}
await closeControlRig();
if (args.json) writeFileSync(args.json, `${JSON.stringify({ runs, seed, reports }, null, 2)}\n`);
const escaped = reports.filter((r) => r.escape);
out(`\n${escaped.length === 0 ? "no escapes" : `ESCAPES in ${escaped.map((r) => r.target).join(", ")}`}`);
process.exit(escaped.length === 0 ? 0 : 1);
