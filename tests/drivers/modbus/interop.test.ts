import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { ModbusDriver } from "../../../drivers/modbus/driver.js";
import { SimulatedModbusMeter } from "../../../drivers/modbus/sim/index.js";
import { servePort } from "../../../drivers/serial/sim/index.js";
import { SystemClock } from "../../../src/core/clock.js";
import { packageRoot } from "../../../src/core/paths.js";
import { fastModbusProfile as fastProfile, type MeterRig, meterRigs } from "../../helpers/meter-rig.js";
import { startPtyPair } from "../../helpers/socat.js";
import { haveTool, requireTool } from "../../helpers/tools.js";

/* On the system clock: outside programs and socat ptys run in real time. */

const PY = "/usr/bin/python3";
const SERVER = join(packageRoot(), "tests/fixtures/pymodbus_sdm120_server.py");
const socat = haveTool("socat", ["-V"]);
const pymodbus = requireTool(
  "python3-pymodbus",
  haveTool(PY, ["-c", "import pymodbus.server"]) && socat,
  "apt-get install python3-pymodbus socat",
);
const mbpoll = requireTool("mbpoll", haveTool("mbpoll", ["-V"]) && socat, "apt-get install mbpoll socat");
const binding = autoDetect();
const dir = mkdtempSync(join(tmpdir(), "hearth-interop-"));

const rigs = meterRigs();
const realRig = () => rigs({ binding, clock: new SystemClock() });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function startPython(rig: MeterRig, args: string[]): ChildProcess {
  const child = spawn(PY, [SERVER, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  rig.after(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  );
  return child;
}

/** A poll whose voltage block timed out under load can still bring the energy block: wait for all four. */
function hasAllSdm120Channels(sink: MeterRig["sink"], id: string): boolean {
  return ["voltage_v", "power_w", "frequency_hz", "energy_total_kwh"].every((c) => sink.of(id, c).length > 0);
}

/**
 * Exact values: the server packs 229.8 and 287.3 with Python's struct (float32), which a plain
 * widening would report as 229.8000030517578 and 287.29998779296875 (issue 13, "true precision").
 */
function expectSdm120Values(sink: MeterRig["sink"], id: string) {
  expect(sink.of(id, "voltage_v")[0]?.value).toBe(229.8);
  expect(sink.of(id, "power_w")[0]?.value).toBe(287.3);
  expect(sink.of(id, "frequency_hz")[0]?.value).toBe(50);
  expect(sink.of(id, "energy_total_kwh")[0]?.value).toBe(1234.5);
}

describe.skipIf(!pymodbus)("interop with pymodbus (Debian python3-pymodbus)", () => {
  it("our driver reads a pymodbus TCP server", async () => {
    const port = await freePort();
    const rig = realRig();
    startPython(rig, ["tcp", String(port), "5"]);
    rig.start(
      new ModbusDriver(
        [
          {
            id: "py-tcp",
            profile: fastProfile("eastron-sdm120", { response_timeout_ms: 1000, poll_interval_s: 0.2 }),
            unit_id: 5,
            port: `tcp://127.0.0.1:${port}`,
          },
        ],
        rig.deps(),
      ),
    );
    const sink = rig.sink;
    // The server takes a moment to start: the first polls are refused, then it answers.
    await rig.until("readings from pymodbus", () => hasAllSdm120Channels(sink, "py-tcp"));
    expectSdm120Values(sink, "py-tcp");
  });

  it("our driver reads a pymodbus RTU server over a socat pty pair", async () => {
    const pty = await startPtyPair(join(dir, "rtu-dev"), join(dir, "rtu-sim"));
    const rig = realRig();
    rig.after(() => pty.kill());
    startPython(rig, ["rtu", pty.b, "9"]);
    rig.start(
      new ModbusDriver(
        [
          {
            id: "py-rtu",
            profile: fastProfile("eastron-sdm120", { response_timeout_ms: 1000, poll_interval_s: 0.2 }),
            unit_id: 9,
            port: pty.a,
          },
        ],
        rig.deps(),
      ),
    );
    const sink = rig.sink;
    await rig.until("readings from pymodbus", () => hasAllSdm120Channels(sink, "py-rtu"));
    expectSdm120Values(sink, "py-rtu");
  });
});

describe.skipIf(!mbpoll)("interop with mbpoll", () => {
  it("mbpoll reads our simulated SDM120 over a socat pty pair", async () => {
    const pty = await startPtyPair(join(dir, "mb-dev"), join(dir, "mb-sim"));
    const rig = realRig();
    rig.after(() => pty.kill());
    const meter = new SimulatedModbusMeter({
      profile: fastProfile("eastron-sdm120"),
      unitId: 3,
      values: () => ({ voltage_v: 231.25, power_w: 0, frequency_hz: 50, energy_total_kwh: 0 }),
    });
    const served = await servePort({ binding, path: pty.b, devices: [meter] });
    rig.after(() => served.close());
    // -m rtu -a unit -b baud -P none -t 4:float (input registers, 32-bit float, high word first)
    // -B high word first; -r 1: mbpoll numbers registers from 1, so reference 1 is wire address 0.
    const { stdout } = await promisify(execFile)(
      "mbpoll",
      [
        "-m",
        "rtu",
        "-a",
        "3",
        "-b",
        "9600",
        "-P",
        "none",
        "-t",
        "3:float",
        "-B",
        "-r",
        "1",
        "-c",
        "1",
        "-1",
        "-o",
        "1",
        pty.a,
      ],
      { timeout: 15_000 },
    );
    expect(stdout).toMatch(/\[1\]:\s+231\.25/);
    expect(meter.requests).toBe(1);
  });
});
