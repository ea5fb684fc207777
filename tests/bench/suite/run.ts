/**
 * `npm run bench`: the benchmarks of issue 14 in one run, printed as one table; every figure beside its
 * baseline measured in the same run (alternating rounds where it can), so the ratios hold on a noisy
 * machine. `--quick` for a short run; `--json` for the rows as JSON.
 *
 * Measured: outbox writes against raw better-sqlite3, replay to Mosquitto against raw MQTT.js, press →
 * PUBACK against its floor, detection replay speed, the footprint of `hearth run` against bare Node,
 * bytes written to disk per day, RS-485 line use against the wire's maximum, and the Node-RED peer
 * (installed on demand into ~/.cache/hearth-bench; `--no-peer` leaves it out). With `--quick` the peer
 * runs beside the footprint rows (both mostly wait on idle processes), which keeps the run short but
 * lets each side's start-up and CPU figures share the cores.
 */
import { loadavg } from "node:os";
import { detectionSpeed } from "./detection-speed.js";
import { diskWrites } from "./disk-writes.js";
import { footprint, SERIAL_HOME } from "./footprint.js";
import { rs485LineUse } from "./modbus-line.js";
import { nodeRedPeer, nodeRedRows, type PeerResult } from "./node-red-peer.js";
import { outboxVsRaw } from "./outbox-vs-raw.js";
import { pressLatency } from "./press-latency.js";
import { replayVsRaw } from "./replay-vs-raw.js";
import { markdown, type SuiteRow } from "./table.js";
import { agentNodeFlags } from "./unit-flags.js";

const quick = process.argv.includes("--quick");
const asJson = process.argv.includes("--json");
const withPeer = !process.argv.includes("--no-peer");
const started = Date.now();
const rows: SuiteRow[] = [];
const step = (what: string) => process.stderr.write(`bench: ${what}…\n`);

step("outbox writes against raw better-sqlite3");
rows.push(...outboxVsRaw(quick));
step("replay to Mosquitto against raw MQTT.js");
rows.push(...(await replayVsRaw(quick)));
step("press → durable → PUBACK against its floor");
rows.push(...(await pressLatency(quick)));
step("detection replay speed");
rows.push(...(await detectionSpeed(quick)));
step("RS-485 line use against the wire's maximum");
rows.push(...(await rs485LineUse(quick)));
const peerRows = async (run: Promise<PeerResult>): Promise<SuiteRow[]> => {
  try {
    return nodeRedRows(await run);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    process.stderr.write(`bench: the Node-RED peer was not measured: ${why}\n`);
    return [{ measure: "the Node-RED peer", ours: "not measured", baseline: why, ratio: undefined }];
  }
};
let peer: Promise<SuiteRow[]> | undefined;
if (withPeer && quick) {
  step("the Node-RED peer (beside the footprint rows)");
  peer = peerRows(nodeRedPeer(quick));
}
step(`footprint of hearth run (${quick ? "20" : "60"} s idle per home)`);
const fp = await footprint(quick);
const bare = fp.rows[0];
if (bare)
  for (const r of fp.rows.slice(1)) {
    const ratio = r.rssMiB / bare.rssMiB;
    rows.push({
      measure: `resident memory, ${r.what} (${agentNodeFlags().join(" ") || "no V8 flags"}; CPU ${r.cpuPct} % of a core, first publish after ${r.startupMs} ms)`,
      ours: `${r.rssMiB} MiB (PSS ${r.pssMiB ?? "–"}, peak ${r.peakMiB})`,
      baseline: `${bare.rssMiB} MiB (bare Node)`,
      ratio,
      ...(r.what === SERIAL_HOME ? { budget: "≤ 1.7× bare Node", met: ratio <= 1.7 } : {}),
    });
  }
step(`bytes written to disk (${quick ? "2-minute" : "30-minute"} window at the real cadence)`);
const disk = await diskWrites(quick);
const MB = (b: number) => `${(b / 1e6).toFixed(2)} MB/day`;
rows.push({
  measure: `disk writes, 3 meters + button + 2 sensors (write_bytes over ${disk.windowS} s, scaled to a day; outbox ${(disk.stateBytes / 1e6).toFixed(1)} MB at the end${disk.stopBytes === undefined ? "" : `; ${Math.round(disk.stopBytes / 1024)} KiB more at the stop, its last commit and the checkpoint of everything since start-up`}${disk.windowS < 1800 ? "; too short a window to judge" : ""})`,
  ours: MB(disk.diskBytesPerDay),
  baseline: `${MB(disk.messageBytesPerDay)} (the ${disk.messages} messages' own bytes)`,
  ratio: disk.messageBytesPerDay > 0 ? disk.diskBytesPerDay / disk.messageBytesPerDay : undefined,
  budget: "≤ 5 MB/day (absolute)",
  // A window under half an hour holds start-up's writes and few or no 5-minute telemetry slots, scaled
  // up to a day: shown, not judged (the full run's 30 minutes, or HEARTH_BENCH_DISK_WINDOW_S, judge it).
  ...(disk.windowS >= 1800 ? { met: disk.diskBytesPerDay <= 5e6 } : {}),
});
if (withPeer && !quick) {
  step("the Node-RED peer (footprint beside ours, then the broker down for a minute)");
  peer = peerRows(nodeRedPeer(quick));
}
if (peer !== undefined) rows.push(...(await peer));
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
