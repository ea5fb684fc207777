import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { ModbusDriver } from "../../../drivers/modbus/driver.js";
import { SimulatedModbusMeter } from "../../../drivers/modbus/sim/index.js";
import { type ServedPort, servePort } from "../../../drivers/serial/sim/index.js";
import { SystemClock } from "../../../src/core/clock.js";
import { fastModbusProfile as fastProfile, meterRigs } from "../../helpers/meter-rig.js";
import { type PtyPair, startPtyPair } from "../../helpers/socat.js";
import { haveTool, requireTool } from "../../helpers/tools.js";

/*
 * On the system clock: a socat pty pair is the kernel's tty layer and another process, which move
 * bytes in real time whatever a virtual clock says.
 */

const socat = requireTool("socat", haveTool("socat", ["-V"]), "apt-get install socat");
const binding = autoDetect();
const dir = mkdtempSync(join(tmpdir(), "hearth-pty-"));
const DEV = join(dir, "ttyHEARTH"); // what the driver opens, as /dev/serial/by-id/... in a home
const SIM = join(dir, "ttySIM");

const rigs = meterRigs();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function meter(unitId: number, turnaroundMs = 0) {
  return new SimulatedModbusMeter({
    profile: fastProfile("eastron-sdm120"),
    unitId,
    turnaroundMs,
    values: () => ({ energy_total_kwh: 42.5, power_w: 1500, voltage_v: 229.5, frequency_hz: 49.98 }),
  });
}

/** A rig on the real binding and clock, driving `devices` through DEV. */
function polling(devices: ConstructorParameters<typeof ModbusDriver>[0]) {
  const rig = rigs({ binding, clock: new SystemClock() });
  const driver = rig.start(new ModbusDriver(devices, rig.deps()));
  return { rig, driver, sink: rig.sink, lines: rig.lines };
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
    const timing = { response_timeout_ms: 300, poll_interval_s: 0.1 };
    const { rig, sink } = polling([
      { id: "m1", profile: fastProfile("eastron-sdm120", timing), unit_id: 1, port: DEV },
      { id: "m2", profile: fastProfile("eastron-sdm120", timing), unit_id: 2, port: DEV },
    ]);
    rig.after(() => pty.kill());
    rig.after(() => served.close());
    await rig.until(
      "two readings of each",
      () => sink.of("m1", "power_w").length > 1 && sink.of("m2", "power_w").length > 1,
    );
    expect(sink.of("m1", "energy_total_kwh")[0]?.value).toBeCloseTo(42.5, 3);
    expect(sink.of("m2", "frequency_hz")[0]?.value).toBeCloseTo(49.98, 3);
    expect(served.requests).toBeGreaterThanOrEqual(6);
  });

  it("the pty closing mid-poll takes the meter offline; a new pty at the same path resumes polling without restart", async () => {
    // A 60 ms turnaround leaves a window in which a request is on the wire and its reply is not.
    let current = await pair(60);
    const timing = { response_timeout_ms: 300, poll_interval_s: 0.05, retries: 0 };
    const { rig, sink, lines } = polling([
      { id: "m1", profile: fastProfile("eastron-sdm120", timing), unit_id: 1, port: DEV },
    ]);
    rig.after(async () => {
      await current.served.close();
      await current.pty.kill();
    });
    await rig.until("online", () => sink.states("m1").includes("online"));
    const line = lines.lines()[0];
    // Kill mid-poll: right after the simulator has received a request and before it answers. The
    // pending read fails with EIO, the transaction with PortClosed, and the line starts reopening.
    const seen = current.served.requests;
    await rig.until("a request in flight", () => current.served.requests > seen);
    await current.served.close();
    await current.pty.kill();
    await rig.until("offline", () => sink.states("m1").includes("offline"));
    expect(line?.isOpen).toBe(false);
    const countAtOffline = sink.of("m1", "power_w").length;
    current = await pair(60);
    await rig.until("online again", () => sink.states("m1").at(-1) === "online");
    await rig.until("readings again", () => sink.of("m1", "power_w").length > countAtOffline);
    expect(sink.states("m1")).toEqual(["online", "offline", "online"]);
    expect(line?.stats.opens).toBeGreaterThanOrEqual(2);
    // The same SerialLine object reopened: nothing was restarted.
    expect(lines.lines()[0]).toBe(line);
  });
});
