/**
 * The two uplink measures of `npm run bench` on their own (replay against raw MQTT.js, press → PUBACK
 * against its floor), for repeating them on a noisy machine without the rest of the suite:
 * `npx vite-node tests/bench/suite/uplink-only.ts -- --quick [--only=replay|press]`. The same modules
 * and the same rows as the suite; the load average before and after is printed beside the table.
 */
import { loadavg } from "node:os";
import { pressLatency } from "./press-latency.js";
import { replayVsRaw } from "./replay-vs-raw.js";
import { markdown, type SuiteRow } from "./table.js";

const quick = process.argv.includes("--quick");
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length) ?? "replay,press";
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const before = load();
const rows: SuiteRow[] = [];
if (only.includes("replay")) rows.push(...(await replayVsRaw(quick)));
if (only.includes("press")) rows.push(...(await pressLatency(quick)));
console.log(`load average ${before} before, ${load()} after`);
console.log(markdown(rows));
process.exit(0);
