/**
 * Detection replay speed alone (issue 14): the `npm run bench` row, see tests/bench/suite/detection-speed.ts.
 *
 * Run: npx vite-node tests/bench/detection-speed.ts [-- --quick] (9 rounds with --quick, else 25, after 2 to warm up).
 */
import { loadavg } from "node:os";
import { detectionSpeed } from "./suite/detection-speed.js";
import { markdown } from "./suite/table.js";

const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(" ");
const rows = await detectionSpeed(process.argv.includes("--quick"));
console.log(`load average ${load} at the start`);
console.log(markdown(rows));
