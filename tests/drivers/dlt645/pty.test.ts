import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { Cjt188Driver } from "../../../drivers/cjt188/driver.js";
import { Cjt188Meter } from "../../../drivers/cjt188/sim/index.js";
import { Dlt645Driver } from "../../../drivers/dlt645/driver.js";
import { Dlt645Meter } from "../../../drivers/dlt645/sim/index.js";
import { probe } from "../../../drivers/probe/index.js";
import { type ServedPort, servePort } from "../../../drivers/serial/sim/index.js";
import { SystemClock } from "../../../src/core/clock.js";
import { type MeterRig, meterRigs } from "../../helpers/meter-rig.js";
import { loadProfile } from "../../helpers/profiles.js";
import { type PtyPair, startPtyPair } from "../../helpers/socat.js";
import { haveTool, requireTool } from "../../helpers/tools.js";

/*
 * On the system clock: a socat pty pair is the kernel's tty layer and another process, which move
 * bytes in real time whatever a virtual clock says.
 */

const socat = requireTool("socat", haveTool("socat", ["-V"]), "apt-get install socat");
const binding = autoDetect();
const dir = mkdtempSync(join(tmpdir(), "hearth-dlt-pty-"));
const DEV = join(dir, "ttyGATEWAY");
const SIM = join(dir, "ttyMETERS");

const timing = { response_timeout_ms: 300, inter_frame_gap_ms: 10, retries: 0, poll_interval_s: 0.1 };
const dltProfile = loadProfile("generic-dlt645-single-phase", "dlt645", timing);
const cjtProfile = loadProfile("generic-cjt188-cold-water", "cjt188", timing);
const settings = dltProfile.serial; // 2400 8E1, what both standards use

const rigs = meterRigs();
const realRig = () =>
  rigs({ binding, clock: new SystemClock(), backoff: { initialMs: 50, maxMs: 200, jitter: 0.2 } });
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

function drivers(rig: MeterRig) {
  const deps = { sink: rig.sink, clock: rig.clock, lines: rig.lines, offlineAfter: 2 };
  rig.start(
    new Dlt645Driver([{ id: "power", profile: dltProfile, port: DEV, address: "000000000042" }], deps),
  );
  rig.start(
    new Cjt188Driver([{ id: "water", profile: cjtProfile, port: DEV, address: "00000000000042" }], deps),
  );
  return { pool: rig.lines, sink: rig.sink };
}

describe.skipIf(!socat)("DL/T 645 and CJ/T 188 over a real socat pseudo-terminal pair", () => {
  it("reads both meters through the real serialport binding and the tty layer", async () => {
    const { pty, served } = await pair();
    const rig = realRig();
    rig.after(() => pty.kill());
    rig.after(() => served.close());
    const { sink } = drivers(rig);
    await rig.until("readings", () => sink.all("power").length >= 8 && sink.all("water").length >= 2);
    expect(sink.last("power", "energy_total_kwh")).toBeCloseTo(321.09, 6);
    expect(sink.last("power", "current_a")).toBeCloseTo(2.345, 6);
    expect(sink.last("water", "water_total_m3")).toBeCloseTo(88.01, 6);
    expect(served.requests).toBeGreaterThanOrEqual(5);
  });

  it("the pty closing mid-poll takes both meters offline; a new pty at the same path resumes polling", async () => {
    let current = await pair(150);
    const rig = realRig();
    rig.after(async () => {
      await current.served.close();
      await current.pty.kill();
    });
    const { pool, sink } = drivers(rig);
    await rig.until(
      "online",
      () => sink.states("power").includes("online") && sink.states("water").includes("online"),
    );
    const line = pool.lines()[0];
    // Kill while a request is with the meter (its 150 ms turnaround): the transaction is in flight.
    const seen = current.served.requests;
    await rig.until("a request at the meter", () => current.served.requests > seen);
    await current.served.close();
    await current.pty.kill();
    await rig.until(
      "offline",
      () => sink.states("power").includes("offline") && sink.states("water").includes("offline"),
    );
    const before = sink.all("water").length;
    current = await pair();
    await rig.until(
      "online again",
      () => sink.states("power").at(-1) === "online" && sink.states("water").at(-1) === "online",
    );
    await rig.until("readings again", () => sink.all("water").length > before);
    expect(sink.states("power")).toEqual(["online", "offline", "online"]);
    expect(sink.states("water")).toEqual(["online", "offline", "online"]);
    expect(pool.lines()[0]).toBe(line);
    expect(line?.stats.opens).toBeGreaterThanOrEqual(2);
  });

  it("probe finds both meters over the pty", async () => {
    const { pty, served } = await pair();
    const rig = rigs({ binding, clock: new SystemClock() });
    rig.after(() => pty.kill());
    rig.after(() => served.close());
    const line = rig.lines.acquire(DEV, settings, "probe");
    await rig.until("open", () => line.isOpen);
    const r = await probe(line, { protocol: "auto", ids: [1], timeoutMs: 300 });
    expect(r.found).toEqual([
      { protocol: "dlt645", address: "000000000042", edition: 2007 },
      { protocol: "cjt188", address: "00000000000042", meterType: 0x10 },
    ]);
  });
});
