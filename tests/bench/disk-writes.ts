/**
 * Bytes written to disk per day by `hearth run` for a home with three meters, a button and two sensors
 * (issue 14): see tests/bench/suite/disk-writes.ts.
 *
 * Run: npm run build && npx vite-node tests/bench/disk-writes.ts [-- --quick] (root, for the pty links
 * under /dev; needs socat and mosquitto). --quick: a 2-minute window, else 30 minutes.
 */
import { loadavg } from "node:os";
import { diskWrites } from "./suite/disk-writes.js";

const r = await diskWrites(process.argv.includes("--quick"));
console.log(JSON.stringify({ ...r, loadavg: loadavg()[0]?.toFixed(1) }, null, 2));
process.exit(0);
