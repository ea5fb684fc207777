import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Cjt188Driver } from "../../../drivers/cjt188/driver.js";
import { Cjt188Meter } from "../../../drivers/cjt188/sim/index.js";
import { Dlt645Driver } from "../../../drivers/dlt645/driver.js";
import { Dlt645Meter } from "../../../drivers/dlt645/sim/index.js";
import { probe } from "../../../drivers/probe/index.js";
import { SerialLinePool } from "../../../drivers/serial/pool.js";
import { type ServedPort, servePort } from "../../../drivers/serial/sim/index.js";
import { SystemClock } from "../../../src/core/clock.js";
import { haveTool, requireTool } from "../../helpers/tools.js";
import { type PtyPair, startPtyPair } from "../serial/socat.js";
import { loadProfile, RecordingSink, waitFor } from "./helpers.js";

const socat = requireTool("socat", haveTool("socat", ["-V"]), "apt-get install socat");
const binding = autoDetect();
const clock = new SystemClock();
const dir = mkdtempSync(join(tmpdir(), "hearth-dlt-pty-"));
const DEV = join(dir, "ttyGATEWAY");
const SIM = join(dir, "ttyMETERS");

const timing = { response_timeout_ms: 300, inter_frame_gap_ms: 10, retries: 0, poll_interval_s: 0.1 };
const dltProfile = loadProfile("generic-dlt645-single-phase", "dlt645", timing);
const cjtProfile = loadProfile("generic-cjt188-cold-water", "cjt188", timing);
const settings = dltProfile.serial; // 2400 8E1, what both standards use

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function meters(delayMs = 20) {
  return [
    new Dlt645Meter({
      address: "000000000042",
      identifiers: dltProfile.dlt645.identifiers,
      values: () => ({ energy_total_kwh: 321.09, voltage_v: 230.1, current_a: 2.345, power_w: 539.6 }),
      delayMs,
    }),
    new Cjt188Meter({ address: "00000000000042", values: () => ({ water_total_m3: 88.01 }), delayMs }),
  ];
}

async function pair(delayMs?: number): Promise<{ pty: PtyPair; served: ServedPort }> {
  const pty = await startPtyPair(DEV, SIM);
  const served = await servePort({ binding, path: SIM, devices: meters(delayMs), settings, idleMs: 8 });
  return { pty, served };
}

function drivers() {
  const pool = new SerialLinePool({ binding, clock, backoff: { initialMs: 50, maxMs: 200, jitter: 0.2 } });
  const sink = new RecordingSink();
  const deps = { sink, clock, lines: pool, offlineAfter: 2 };
  const dlt = new Dlt645Driver(
    [{ id: "power", profile: dltProfile, port: DEV, address: "000000000042" }],
    deps,
  );
  const water = new Cjt188Driver(
    [{ id: "water", profile: cjtProfile, port: DEV, address: "00000000000042" }],
    deps,
  );
  cleanups.push(
    () => pool.stop(),
    () => dlt.stop(),
    () => water.stop(),
  );
  dlt.start();
  water.start();
  return { pool, sink };
}

describe.skipIf(!socat)("DL/T 645 and CJ/T 188 over a real socat pseudo-terminal pair", () => {
  it("reads both meters through the real serialport binding and the tty layer", async () => {
    const { pty, served } = await pair();
    cleanups.push(
      () => pty.kill(),
      () => served.close(),
    );
    const { sink } = drivers();
    await waitFor(() => sink.all("power").length >= 8 && sink.all("water").length >= 2, 10_000, "readings");
    expect(sink.last("power", "energy_total_kwh")).toBeCloseTo(321.09, 6);
    expect(sink.last("power", "current_a")).toBeCloseTo(2.345, 6);
    expect(sink.last("water", "water_total_m3")).toBeCloseTo(88.01, 6);
    expect(served.requests).toBeGreaterThanOrEqual(5);
  });

  it("the pty closing mid-poll takes both meters offline; a new pty at the same path resumes polling", async () => {
    let current = await pair(150);
    cleanups.push(async () => {
      await current.served.close();
      await current.pty.kill();
    });
    const { pool, sink } = drivers();
    await waitFor(
      () => sink.states("power").includes("online") && sink.states("water").includes("online"),
      10_000,
      "online",
    );
    const line = pool.lines()[0];
    // Kill while a request is with the meter (its 150 ms turnaround): the transaction is in flight.
    const seen = current.served.requests;
    await waitFor(() => current.served.requests > seen, 15_000, "a request at the meter");
    await current.served.close();
    await current.pty.kill();
    await waitFor(
      () => sink.states("power").includes("offline") && sink.states("water").includes("offline"),
      10_000,
      "offline",
    );
    const before = sink.all("water").length;
    current = await pair();
    await waitFor(
      () => sink.states("power").at(-1) === "online" && sink.states("water").at(-1) === "online",
      15_000,
      "online again",
    );
    await waitFor(() => sink.all("water").length > before, 15_000, "readings again");
    expect(sink.states("power")).toEqual(["online", "offline", "online"]);
    expect(sink.states("water")).toEqual(["online", "offline", "online"]);
    expect(pool.lines()[0]).toBe(line);
    expect(line?.stats.opens).toBeGreaterThanOrEqual(2);
  });

  it("probe finds both meters over the pty", async () => {
    const { pty, served } = await pair();
    cleanups.push(
      () => pty.kill(),
      () => served.close(),
    );
    const pool = new SerialLinePool({ binding, clock });
    cleanups.push(() => pool.stop());
    const line = pool.acquire(DEV, settings, "probe");
    await waitFor(() => line.isOpen, 5000, "open");
    const r = await probe(line, { protocol: "auto", ids: [1], timeoutMs: 300 });
    expect(r.found).toEqual([
      { protocol: "dlt645", address: "000000000042" },
      { protocol: "cjt188", address: "00000000000042", meterType: 0x10 },
    ]);
  });
});
