/**
 * `npm run faults [-- --full] [files…]`: the fault suite on its own, then one table of every scenario's
 * figures, printed and written to <report dir>/report.json for the docs to quote. Without --full it
 * runs the CI sizes (what `npm test` runs too); with --full the (1,000 kills and so on), one
 * file at a time so the scenarios do not share the two cores.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/core/paths.js";
import { formatTable, readRows, reportDir } from "./harness/report.js";

const args = process.argv.slice(2);
const full = args.includes("--full");
const files = args.filter((a) => a !== "--full");
const root = packageRoot();
const dir = reportDir();
mkdirSync(dir, { recursive: true });
// Rows of an earlier run would be quoted as this run's.
for (const name of readdirSync(dir)) if (name.endsWith(".json")) rmSync(join(dir, name));

const vitest = spawnSync(
  process.execPath,
  [
    join(root, "node_modules", "vitest", "vitest.mjs"),
    "run",
    ...(files.length > 0 ? files : ["tests/faults"]),
    ...(full ? ["--no-file-parallelism"] : []),
  ],
  { cwd: root, stdio: "inherit", env: { ...process.env, HEARTH_FAULTS_SIZE: full ? "full" : "ci" } },
);
const rows = readRows(dir);
writeFileSync(join(dir, "report.json"), `${JSON.stringify(rows, null, 2)}\n`);
console.info(`\nFault suite (${full ? "full" : "ci"} size), written to ${join(dir, "report.json")}:\n`);
console.info(formatTable(rows));
process.exitCode = vitest.status ?? 1;
