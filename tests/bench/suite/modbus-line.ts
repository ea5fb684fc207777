/**
 * RS-485 line use (issue 3, kept by issue 14): how many SDM120 polls per second one Modbus RTU line at
 * 9600 8N1 carries, against the theoretical maximum for the bytes on the wire. The simulated line
 * enforces real byte time (10 bits per byte), the meters a fixed turnaround, and the SerialLine the
 * 3.5-character gap; the real driver, codec and SerialLine do the work.
 *
 * Run by tests/bench/modbus-line.bench.ts (its own report) and tests/bench/suite/run.ts (`npm run bench`).
 */
import { ModbusDriver } from "../../../drivers/modbus/driver.js";
import { planReads } from "../../../drivers/modbus/plan.js";
import { SimulatedLine, SimulatedModbusMeter } from "../../../drivers/modbus/sim/index.js";
import { SerialLinePool } from "../../../drivers/serial/pool.js";
import { SystemClock } from "../../../src/core/clock.js";
import type { Reading, ReadingSink } from "../../../src/core/readings.js";
import { SECOND_MS } from "../../../src/core/time.js";
import { loadCatalogue } from "../../../src/profiles/catalogue.js";
import type { ModbusProfile } from "../../../src/profiles/modbus.js";
import { median, type SuiteRow } from "./table.js";

export const BAUD = 9600;
const BITS_PER_CHAR = 10; // 8N1: start + 8 data + stop
export const METERS = 8;
export const TURNAROUND_MS = 5;
export const GAP_MS = 4; // 3.5 characters at 9600 baud = 3.65 ms, rounded up to whole ms
export const WINDOW_MS = 3000;

const base = loadCatalogue().profiles.get("eastron-sdm120") as ModbusProfile;
const profile: ModbusProfile = {
  ...base,
  serial: { baud: BAUD, data_bits: 8, parity: "none", stop_bits: 1 },
  // Poll as fast as the line allows: every device always has a poll queued.
  timing: { response_timeout_ms: 1000, inter_frame_gap_ms: GAP_MS, retries: 0, poll_interval_s: 0.001 },
};

/** Wire time of one poll: request and reply bytes, one gap before each request, one turnaround each. */
export function theoreticalPollMs(): { bytes: number; requests: number; ms: number } {
  const plans = planReads(profile.modbus.registers, {
    maxRegisters: profile.modbus.max_registers_per_read,
    maxGap: profile.modbus.max_gap,
  });
  const bytes = plans.reduce((n, p) => n + 8 + (5 + 2 * p.quantity), 0);
  const gapMs = (3.5 * BITS_PER_CHAR * SECOND_MS) / BAUD;
  const ms = (bytes * BITS_PER_CHAR * SECOND_MS) / BAUD + plans.length * (gapMs + TURNAROUND_MS);
  return { bytes, requests: plans.length, ms };
}

export interface LineRun {
  polls: number;
  pollsPerSec: number;
  cpuMsPerPoll: number;
}

class CountingSink implements ReadingSink {
  readings(_batch: readonly Reading[]): void {}
  button(): void {}
  availability(): void {}
}

export async function oneLineRun(): Promise<LineRun> {
  // Real time: the bench measures throughput and CPU, which a virtual clock would not show.
  const clock = new SystemClock();
  const sim = new SimulatedLine({ baud: BAUD, bitsPerChar: BITS_PER_CHAR, chunkSize: 16 });
  const path = "/dev/ttyBENCH";
  sim.addPort(path);
  const devices = [];
  for (let unit = 1; unit <= METERS; unit++) {
    sim.attach(
      path,
      new SimulatedModbusMeter({
        profile,
        unitId: unit,
        turnaroundMs: TURNAROUND_MS,
        values: () => ({
          energy_total_kwh: 1000 + unit,
          power_w: 100 * unit,
          voltage_v: 230,
          frequency_hz: 50,
        }),
      }),
    );
    devices.push({ id: `m${unit}`, profile, unit_id: unit, port: path });
  }
  const lines = new SerialLinePool({ binding: sim, clock });
  const driver = new ModbusDriver(devices, { sink: new CountingSink(), clock, lines });
  driver.start();
  // Let the port open and the first round settle before measuring.
  await new Promise((r) => setTimeout(r, 500));
  const line = lines.lines()[0];
  const polls0 = driver.status().reduce((n, s) => n + s.polls, 0);
  const replies0 = line?.stats.replies ?? 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const cpu = process.cpuUsage(cpu0);
  const elapsed = performance.now() - t0;
  const polls = driver.status().reduce((n, s) => n + s.polls, 0) - polls0;
  // Answered requests give a finer count than whole polls (3 requests make one SDM120 poll).
  const requests = (line?.stats.replies ?? 0) - replies0;
  await driver.stop();
  await lines.stop();
  const pollEquivalents = requests / theoreticalPollMs().requests;
  return {
    polls,
    pollsPerSec: (pollEquivalents * SECOND_MS) / elapsed,
    cpuMsPerPoll: (cpu.user + cpu.system) / 1000 / pollEquivalents,
  };
}

/** The suite's row: achieved polls per second against the line's theoretical maximum, same run. */
export async function rs485LineUse(quick: boolean): Promise<SuiteRow[]> {
  const runs: LineRun[] = [];
  for (let i = 0; i < (quick ? 3 : 5); i++) runs.push(await oneLineRun());
  const t = theoreticalPollMs();
  const maxPerSec = SECOND_MS / t.ms;
  const achieved = median(runs.map((r) => r.pollsPerSec));
  return [
    {
      measure: `RS-485 line use, ${METERS} SDM120 on one line at ${BAUD} 8N1 (${t.requests} requests, ${t.bytes} bytes a poll; median of ${runs.length} × ${WINDOW_MS / SECOND_MS} s; CPU ${median(runs.map((r) => r.cpuMsPerPoll)).toFixed(1)} ms a poll)`,
      ours: `${achieved.toFixed(2)} polls/s`,
      baseline: `${maxPerSec.toFixed(2)} polls/s (theoretical maximum of the wire)`,
      ratio: achieved / maxPerSec,
      budget: "≥ 0.9× the wire's maximum",
      met: achieved / maxPerSec >= 0.9,
    },
  ];
}
