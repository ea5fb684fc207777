/**
 * Hearth beside a Node-RED gateway on the same meters and broker (issue 14): see
 * tests/bench/suite/node-red-peer.ts.
 *
 * Run: npm run build && npx vite-node tests/bench/node-red-peer.ts [-- --quick] (needs mosquitto and
 * the npm registry the first time, to install Node-RED into ~/.cache/hearth-bench).
 * HEARTH_BENCH_NODE_FLAGS: V8 flags for `hearth run` (the unit's, deploy/hearth.service);
 * HEARTH_BENCH_NODE_RED_FLAGS: for Node-RED.
 */
import { loadavg } from "node:os";
import { nodeRedPeer, nodeRedRows } from "./suite/node-red-peer.js";
import { markdown } from "./suite/table.js";

const r = await nodeRedPeer(process.argv.includes("--quick"));
console.log(`load average ${loadavg()[0]?.toFixed(1)}`);
console.log(markdown(nodeRedRows(r)));
console.log(JSON.stringify(r));
process.exit(0);
