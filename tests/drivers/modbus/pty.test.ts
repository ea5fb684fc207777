import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { SimulatedModbusMeter } from "../../../drivers/modbus/sim/index.js";
import { type ServedPort, servePort } from "../../../drivers/serial/sim/index.js";
import { haveTool, requireTool } from "../../helpers/tools.js";
import { type PtyPair, startPtyPair } from "../serial/socat.js";
import { fastProfile, makeDriver, waitFor } from "./helpers.js";

const socat = requireTool("socat", haveTool("socat", ["-V"]), "apt-get install socat");
const binding = autoDetect();
const dir = mkdtempSync(join(tmpdir(), "hearth-pty-"));
const DEV = join(dir, "ttyHEARTH"); // what the driver opens, as /dev/serial/by-id/... in a home
const SIM = join(dir, "ttySIM");

const cleanups: Array<() => Promise<void>> = [];
let running: ReturnType<typeof makeDriver> | undefined;
afterEach(async () => {
  if (running) {
    await running.driver.stop();
    await running.lines.stop();
    running = undefined;
  }
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function meter(unitId: number, turnaroundMs = 0) {
  return new SimulatedModbusMeter({
    profile: fastProfile("eastron-sdm120"),
    unitId,
    turnaroundMs,
    values: () => ({ energy_total_kwh: 42.5, power_w: 1500, voltage_v: 229.5, frequency_hz: 49.98 }),
  });
}

async function pair(turnaroundMs = 0): Promise<{ pty: PtyPair; served: ServedPort }> {
  const pty = await startPtyPair(DEV, SIM);
  const served = await servePort({
    binding,
    path: SIM,
    devices: [meter(1, turnaroundMs), meter(2, turnaroundMs)],
  });
  return { pty, served };
}

describe.skipIf(!socat)("ModbusDriver over a real socat pseudo-terminal pair", () => {
  it("polls two meters through the real serialport binding", async () => {
    const { pty, served } = await pair();
    cleanups.push(
      () => pty.kill(),
      () => served.close(),
    );
    const timing = { response_timeout_ms: 300, poll_interval_s: 0.1 };
    running = makeDriver(
      [
        { id: "m1", profile: fastProfile("eastron-sdm120", timing), unit_id: 1, port: DEV },
        { id: "m2", profile: fastProfile("eastron-sdm120", timing), unit_id: 2, port: DEV },
      ],
      binding,
    );
    running.driver.start();
    const sink = running.sink;
    await waitFor(() => sink.of("m1", "power_w").length > 1 && sink.of("m2", "power_w").length > 1, 10_000);
    expect(sink.of("m1", "energy_total_kwh")[0]?.value).toBeCloseTo(42.5, 3);
    expect(sink.of("m2", "frequency_hz")[0]?.value).toBeCloseTo(49.98, 3);
    expect(served.requests).toBeGreaterThanOrEqual(6);
  });

  it("the pty closing mid-poll takes the meter offline; a new pty at the same path resumes polling without restart", async () => {
    // A 60 ms turnaround leaves a window in which a request is on the wire and its reply is not.
    let current = await pair(60);
    cleanups.push(async () => {
      await current.served.close();
      await current.pty.kill();
    });
    const timing = { response_timeout_ms: 300, poll_interval_s: 0.05, retries: 0 };
    running = makeDriver(
      [{ id: "m1", profile: fastProfile("eastron-sdm120", timing), unit_id: 1, port: DEV }],
      binding,
    );
    running.driver.start();
    const sink = running.sink;
    await waitFor(() => sink.states("m1").includes("online"), 10_000, "online");
    const line = running.lines.lines()[0];
    // Kill mid-poll: right after the simulator has received a request and before it answers. The
    // pending read fails with EIO, the transaction with PortClosed, and the line starts reopening.
    const seen = current.served.requests;
    await waitFor(() => current.served.requests > seen, 15_000, "a request in flight");
    await current.served.close();
    await current.pty.kill();
    await waitFor(() => sink.states("m1").includes("offline"), 10_000, "offline");
    expect(line?.isOpen).toBe(false);
    const countAtOffline = sink.of("m1", "power_w").length;
    current = await pair(60);
    await waitFor(() => sink.states("m1").at(-1) === "online", 15_000, "online again");
    await waitFor(() => sink.of("m1", "power_w").length > countAtOffline, 15_000, "readings again");
    expect(sink.states("m1")).toEqual(["online", "offline", "online"]);
    expect(line?.stats.opens).toBeGreaterThanOrEqual(2);
    // The same SerialLine object reopened: nothing was restarted.
    expect(running.lines.lines()[0]).toBe(line);
  });
});
