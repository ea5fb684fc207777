/**
 * `npm run bench`: the benchmarks of issue 14 in one run, printed as one table; every figure beside its
 * baseline measured in the same run (alternating rounds where it can), so the ratios hold on a noisy
 * machine. `--quick` for a short run; `--json` for the rows as JSON.
 *
 * Measured so far: outbox writes against raw better-sqlite3, detection replay speed, and the
 * footprint of `hearth run` against bare Node. Not yet: replay to Mosquitto against raw MQTT.js,
 * press → PUBACK against its floor, bytes written per day, RS-485 line use (tests/bench/*.bench.ts
 * and docs/BENCHMARKS.md hold the older absolute figures).
 */
import { loadavg } from "node:os";
import { detectionSpeed } from "./detection-speed.js";
import { footprint } from "./footprint.js";
import { outboxVsRaw } from "./outbox-vs-raw.js";
import { markdown, type SuiteRow } from "./table.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const started = Date.now();
const rows: SuiteRow[] = [];
const step = (what: string) => process.stderr.write(`bench: ${what}…\n`);

step("outbox writes against raw better-sqlite3");
rows.push(...outboxVsRaw(quick));
step("detection replay speed");
rows.push(...(await detectionSpeed(quick)));
step(`footprint of hearth run (${quick ? "20" : "60"} s idle per home)`);
const fp = await footprint(quick);
const bare = fp.rows[0];
if (bare)
  for (const r of fp.rows.slice(1)) {
    const ratio = r.rssMiB / bare.rssMiB;
    rows.push({
      measure: `resident memory, ${r.what} (CPU ${r.cpuPct} % of a core, first publish after ${r.startupMs} ms)`,
      ours: `${r.rssMiB} MiB (PSS ${r.pssMiB ?? "–"}, peak ${r.peakMiB})`,
      baseline: `${bare.rssMiB} MiB (bare Node)`,
      ratio,
      ...(r.what.includes("3 serial") ? { budget: "≤ 1.7× bare Node", met: ratio <= 1.7 } : {}),
    });
  }
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(" ");
if (asJson)
  console.log(JSON.stringify({ quick, load, seconds: (Date.now() - started) / 1000, rows }, null, 2));
else {
  console.log(
    `npm run bench${quick ? " --quick" : ""}: ${Math.round((Date.now() - started) / 1000)} s, load average ${load}`,
  );
  console.log(markdown(rows));
}
process.exit(0);
