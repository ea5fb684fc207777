/**
 * How many SDM120 polls per second one RS-485 line at 9600 8N1 carries, against the theoretical
 * maximum for the bytes on the wire (the measurement: tests/bench/suite/modbus-line.ts).
 * Run: `npx vitest bench --run tests/bench/modbus-line.bench.ts`.
 */
import { loadavg } from "node:os";
import { afterAll, bench, describe } from "vitest";
import { SECOND_MS } from "../../src/core/time.js";
import {
  BAUD,
  GAP_MS,
  type LineRun,
  METERS,
  oneLineRun,
  TURNAROUND_MS,
  theoreticalPollMs,
  WINDOW_MS,
} from "./suite/modbus-line.js";
import { median } from "./suite/table.js";

const RUNS = 5;
const runs: LineRun[] = [];

describe("Modbus RTU line throughput (9600 8N1, 8 SDM120)", () => {
  bench(
    "one 3 s polling window",
    async () => {
      runs.push(await oneLineRun());
    },
    { iterations: RUNS, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});

afterAll(() => {
  if (runs.length === 0) return;
  const t = theoreticalPollMs();
  const maxPerSec = SECOND_MS / t.ms;
  const achieved = median(runs.map((r) => r.pollsPerSec));
  console.log(
    [
      "",
      `Modbus line bench: ${METERS} × SDM120 at ${BAUD} 8N1, ${t.requests} requests / ${t.bytes} bytes per poll, turnaround ${TURNAROUND_MS} ms, gap ${GAP_MS} ms`,
      `  theoretical maximum: ${maxPerSec.toFixed(2)} polls/s (${t.ms.toFixed(1)} ms of wire time per poll)`,
      `  achieved (median of ${runs.length} × ${WINDOW_MS / SECOND_MS} s): ${achieved.toFixed(2)} polls/s = ${((100 * achieved) / maxPerSec).toFixed(1)} % of maximum`,
      `  runs: ${runs.map((r) => r.pollsPerSec.toFixed(2)).join(", ")} polls/s (from answered requests; whole polls completed, which count polls already under way at the start: ${runs.map((r) => r.polls).join(", ")})`,
      `  load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")} (shared machine: other processes slow the event loop and leave the line idle)`,
      `  CPU per poll (median): ${median(runs.map((r) => r.cpuMsPerPoll)).toFixed(3)} ms (user + system, whole process incl. simulators)`,
    ].join("\n"),
  );
});
