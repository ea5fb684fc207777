/**
 * Footprint of `hearth run` beside bare Node, measured in one run (issue 14): see
 * tests/bench/suite/footprint.ts for what is measured and how.
 *
 * Run: npm run build && npx vite-node tests/bench/footprint.ts [-- --quick] [--json]
 * (root, for the pty links under /dev; needs socat and mosquitto). `hearth run` gets the unit's V8 flags
 * (deploy/hearth.service), or HEARTH_BENCH_NODE_FLAGS; HEARTH_BENCH_ENTRY measures another build of it.
 */
import { loadavg } from "node:os";
import { footprint } from "./suite/footprint.js";
import { agentNodeFlags } from "./suite/unit-flags.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const NODE_FLAGS = agentNodeFlags();
const { idleMs, rows } = await footprint(quick);
const bare = rows[0] as (typeof rows)[number];
const load = loadavg()[0]?.toFixed(1);
if (asJson) console.log(JSON.stringify({ idleMs, loadavg: load, rows }, null, 2));
else {
  const flags = NODE_FLAGS.length > 0 ? `, hearth run with ${NODE_FLAGS.join(" ")}` : "";
  console.log(`footprint (idle window ${idleMs / 1000} s, load average ${load}${flags})`);
  console.log(
    "| process | RSS MiB | × bare Node | above bare Node MiB | peak RSS MiB | PSS MiB | CPU % of a core | start-up to first publish |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows)
    console.log(
      `| ${r.what} | ${r.rssMiB} | ${(r.rssMiB / bare.rssMiB).toFixed(2)} | ${Math.round((r.rssMiB - bare.rssMiB) * 10) / 10} | ${r.peakMiB} | ${r.pssMiB ?? "–"} | ${r.cpuPct} | ${r.startupMs === undefined ? "–" : `${r.startupMs} ms`} |`,
    );
}
process.exit(0);
