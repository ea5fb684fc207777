import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { autoDetect } from "@serialport/bindings-cpp";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { SimulatedModbusMeter } from "../../../drivers/modbus/sim/index.js";
import { servePort } from "../../../drivers/serial/sim/index.js";
import { packageRoot } from "../../../src/core/paths.js";
import { haveTool, requireTool } from "../../helpers/tools.js";
import { startPtyPair } from "../serial/socat.js";
import { fastProfile, makeDriver, waitFor } from "./helpers.js";

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

const cleanups: Array<() => Promise<void> | void> = [];
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

function startPython(args: string[]): ChildProcess {
  const child = spawn(PY, [SERVER, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  );
  return child;
}

function expectSdm120Values(sink: ReturnType<typeof makeDriver>["sink"], id: string) {
  expect(sink.of(id, "voltage_v")[0]?.value).toBeCloseTo(230.5, 3);
  expect(sink.of(id, "power_w")[0]?.value).toBeCloseTo(456.25, 3);
  expect(sink.of(id, "frequency_hz")[0]?.value).toBeCloseTo(50, 3);
  expect(sink.of(id, "energy_total_kwh")[0]?.value).toBeCloseTo(1234.5, 3);
}

describe.skipIf(!pymodbus)("interop with pymodbus (Debian python3-pymodbus)", () => {
  it("our driver reads a pymodbus TCP server", async () => {
    const port = await freePort();
    startPython(["tcp", String(port), "5"]);
    running = makeDriver(
      [
        {
          id: "py-tcp",
          profile: fastProfile("eastron-sdm120", { response_timeout_ms: 1000, poll_interval_s: 0.2 }),
          unit_id: 5,
          port: `tcp://127.0.0.1:${port}`,
        },
      ],
      binding,
    );
    running.driver.start();
    const sink = running.sink;
    // The server takes a moment to start: the first polls are refused, then it answers.
    await waitFor(() => sink.of("py-tcp", "energy_total_kwh").length > 0, 20_000, "readings from pymodbus");
    expectSdm120Values(sink, "py-tcp");
  });

  it("our driver reads a pymodbus RTU server over a socat pty pair", async () => {
    const pty = await startPtyPair(join(dir, "rtu-dev"), join(dir, "rtu-sim"));
    cleanups.push(() => pty.kill());
    startPython(["rtu", pty.b, "9"]);
    running = makeDriver(
      [
        {
          id: "py-rtu",
          profile: fastProfile("eastron-sdm120", { response_timeout_ms: 1000, poll_interval_s: 0.2 }),
          unit_id: 9,
          port: pty.a,
        },
      ],
      binding,
    );
    running.driver.start();
    const sink = running.sink;
    await waitFor(() => sink.of("py-rtu", "energy_total_kwh").length > 0, 20_000, "readings from pymodbus");
    expectSdm120Values(sink, "py-rtu");
  });
});

describe.skipIf(!mbpoll)("interop with mbpoll", () => {
  it("mbpoll reads our simulated SDM120 over a socat pty pair", async () => {
    const pty = await startPtyPair(join(dir, "mb-dev"), join(dir, "mb-sim"));
    cleanups.push(() => pty.kill());
    const meter = new SimulatedModbusMeter({
      profile: fastProfile("eastron-sdm120"),
      unitId: 3,
      values: () => ({ voltage_v: 231.25, power_w: 0, frequency_hz: 50, energy_total_kwh: 0 }),
    });
    const served = await servePort({ binding, path: pty.b, devices: [meter] });
    cleanups.push(() => served.close());
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
