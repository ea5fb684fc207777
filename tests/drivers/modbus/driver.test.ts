import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { ModbusDriver } from "../../../drivers/modbus/driver.js";
import {
  type ModbusFault,
  SimulatedLine,
  SimulatedModbusMeter,
  startModbusTcpServer,
} from "../../../drivers/modbus/sim/index.js";
import type { SerialLinePool } from "../../../drivers/serial/pool.js";
import { ErrorCode } from "../../../src/core/errors.js";
import { fastProfile, makeDriver, waitFor } from "./helpers.js";

const PORT = "/dev/ttySIM-modbus";
const running: Array<{ driver: ModbusDriver; lines: SerialLinePool }> = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.driver.stop();
    await r.lines.stop();
  }
  for (const c of cleanups.splice(0)) await c();
});

function electricity(unitId = 1) {
  return new SimulatedModbusMeter({
    profile: fastProfile("eastron-sdm120"),
    unitId,
    values: () => ({ energy_total_kwh: 1234.5, power_w: 456.25, voltage_v: 230.5, frequency_hz: 50 }),
  });
}
function water(unitId = 2) {
  return new SimulatedModbusMeter({
    profile: fastProfile("generic-modbus-water"),
    unitId,
    values: () => ({ water_total_m3: 87.125, water_flow_m3h: 0.545 }),
  });
}

function start(setup: ReturnType<typeof makeDriver>) {
  running.push(setup);
  setup.driver.start();
  return setup;
}

describe("ModbusDriver over SimulatedLine", () => {
  it("reads two meters on one line and emits their semantic channels with the right values", async () => {
    const sim = new SimulatedLine({ chunkSize: 3 }).addPort(PORT, electricity(1), water(2));
    const { sink } = start(
      makeDriver(
        [
          { id: "elec", profile: fastProfile("eastron-sdm120"), unit_id: 1, port: PORT },
          { id: "water", profile: fastProfile("generic-modbus-water"), unit_id: 2, port: PORT },
        ],
        sim,
      ),
    );
    await waitFor(
      () => sink.of("elec", "power_w").length > 0 && sink.of("water", "water_total_m3").length > 0,
    );
    expect(sink.of("elec", "energy_total_kwh")[0]?.value).toBeCloseTo(1234.5, 2);
    expect(sink.of("elec", "power_w")[0]?.value).toBeCloseTo(456.25, 3);
    expect(sink.of("elec", "voltage_v")[0]?.value).toBeCloseTo(230.5, 3);
    expect(sink.of("elec", "frequency_hz")[0]?.value).toBeCloseTo(50, 5);
    expect(sink.of("water", "water_total_m3")[0]?.value).toBeCloseTo(87.125, 3);
    expect(sink.of("water", "water_flow_m3h")[0]?.value).toBeCloseTo(0.545, 5);
    expect(sink.states("elec")).toEqual(["online"]);
    expect(sink.states("water")).toEqual(["online"]);
    // SDM120: three grouped reads per poll, as planReads says.
    const first = sim
      .recording(PORT)
      .slice(0, 3)
      .map((b) => b.toString("hex"));
    expect(first.every((h) => h.startsWith("0104"))).toBe(true);
  });

  it.each<ModbusFault>(["bad_crc", "silence", "garbage"])(
    "%s: retries, goes offline after 3 failed polls, comes back online when the meter recovers",
    async (fault) => {
      const meter = electricity(1);
      meter.fault = fault;
      const sim = new SimulatedLine().addPort(PORT, meter);
      const { sink, driver } = start(
        makeDriver([{ id: "elec", profile: fastProfile("eastron-sdm120"), unit_id: 1, port: PORT }], sim),
      );
      await waitFor(() => sink.states("elec").includes("offline"), 20_000, "offline");
      const st = driver.status()[0];
      expect(st?.availability).toBe("offline");
      expect(st?.failedPolls).toBeGreaterThanOrEqual(3);
      // Each of the 3 reads of a poll is tried twice (retries: 1) before the poll counts as failed.
      expect(meter.requests).toBeGreaterThanOrEqual(3 * 3 * 2);
      if (fault === "bad_crc") expect(st?.badFrames).toBeGreaterThan(0);
      else expect(st?.timeouts).toBeGreaterThan(0);
      expect(sink.of("elec", "power_w")).toHaveLength(0);
      meter.fault = "none";
      await waitFor(() => sink.states("elec").at(-1) === "online", 20_000, "online again");
      expect(sink.states("elec")).toEqual(["offline", "online"]);
      expect(sink.of("elec", "power_w").length).toBeGreaterThan(0);
    },
  );

  it("a meter answering garbage does not stop another meter on the same line", async () => {
    const bad = electricity(1);
    bad.fault = "garbage";
    const good = water(2);
    const sim = new SimulatedLine().addPort(PORT, bad, good);
    const { sink } = start(
      makeDriver(
        [
          { id: "bad", profile: fastProfile("eastron-sdm120"), unit_id: 1, port: PORT },
          { id: "good", profile: fastProfile("generic-modbus-water"), unit_id: 2, port: PORT },
        ],
        sim,
      ),
    );
    await waitFor(() => sink.states("bad").includes("offline"), 20_000, "bad offline");
    const before = sink.of("good", "water_total_m3").length;
    await waitFor(() => sink.of("good", "water_total_m3").length >= before + 3, 20_000, "good keeps reading");
    expect(sink.states("good")).toEqual(["online"]);
  });

  it("an exception reply keeps the device online and is counted, not retried", async () => {
    const meter = electricity(1);
    meter.fault = "exception";
    const sim = new SimulatedLine().addPort(PORT, meter);
    const { sink, driver } = start(
      makeDriver([{ id: "elec", profile: fastProfile("eastron-sdm120"), unit_id: 1, port: PORT }], sim),
    );
    await waitFor(() => (driver.status()[0]?.exceptions ?? 0) >= 6, 20_000, "exceptions");
    const result = await driver.pollNow("elec");
    expect(result.errors[0]?.code).toBe(ErrorCode.DeviceException);
    expect(result.errors[0]?.context.exceptionName).toBe("SERVER DEVICE FAILURE");
    expect(sink.states("elec")).toEqual(["online"]);
  });

  it("the adapter vanishing takes the device offline; it comes back online when the adapter returns", async () => {
    const sim = new SimulatedLine().addPort(PORT, electricity(1));
    const { sink, lines } = start(
      makeDriver([{ id: "elec", profile: fastProfile("eastron-sdm120"), unit_id: 1, port: PORT }], sim),
    );
    await waitFor(() => sink.states("elec").includes("online"));
    sim.unplug(PORT);
    await waitFor(() => sink.states("elec").includes("offline"), 20_000, "offline");
    expect(lines.lines()[0]?.isOpen).toBe(false);
    sim.plug(PORT);
    await waitFor(() => sink.states("elec").at(-1) === "online", 20_000, "online again");
    expect(sink.states("elec")).toEqual(["online", "offline", "online"]);
  });

  it("reads a Modbus TCP meter through modbus-serial", async () => {
    const meter = electricity(7);
    const server = await startModbusTcpServer([meter]);
    cleanups.push(() => server.close());
    const { sink } = start(
      makeDriver(
        [
          {
            id: "tcp-elec",
            profile: fastProfile("eastron-sdm120", { response_timeout_ms: 500 }),
            unit_id: 7,
            port: server.url,
          },
        ],
        new SimulatedLine(),
      ),
    );
    await waitFor(() => sink.of("tcp-elec", "energy_total_kwh").length > 0);
    expect(sink.of("tcp-elec", "energy_total_kwh")[0]?.value).toBeCloseTo(1234.5, 2);
    expect(sink.states("tcp-elec")).toEqual(["online"]);
  });

  it("a silent TCP meter goes offline and back online", async () => {
    const meter = electricity(7);
    meter.fault = "silence";
    const server = await startModbusTcpServer([meter]);
    cleanups.push(() => server.close());
    const { sink, driver } = start(
      makeDriver(
        [
          {
            id: "tcp-elec",
            profile: fastProfile("eastron-sdm120", { response_timeout_ms: 50 }),
            unit_id: 7,
            port: server.url,
          },
        ],
        new SimulatedLine(),
      ),
    );
    await waitFor(() => sink.states("tcp-elec").includes("offline"), 20_000, "offline");
    expect(driver.status()[0]?.timeouts).toBeGreaterThan(0);
    meter.fault = "none";
    await waitFor(() => sink.states("tcp-elec").at(-1) === "online", 20_000, "online again");
  });

  it("refuses to start with an unknown profile or a bad unit id, naming the device", () => {
    const { driver } = makeDriver(
      [
        { id: "x", profile: "no-such-profile", unit_id: 1, port: PORT },
        { id: "y", profile: fastProfile("eastron-sdm120"), unit_id: 300, port: PORT },
      ],
      new SimulatedLine(),
    );
    expect(driver.validate()).toEqual([
      "device x: unknown profile no-such-profile",
      "device y: unit_id 300 is outside 1..247",
    ]);
    expect(() => driver.start()).toThrow(/misconfigured/);
  });

  it("logs a warning naming the device and the reason for a bad frame", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const dest = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        cb();
      },
    });
    const meter = electricity(1);
    meter.fault = "bad_crc";
    const sim = new SimulatedLine().addPort(PORT, meter);
    const setup = start(
      makeDriver([{ id: "elec", profile: fastProfile("eastron-sdm120"), unit_id: 1, port: PORT }], sim, {
        log: pino({ level: "debug" }, dest),
      }),
    );
    await waitFor(() => setup.sink.states("elec").includes("offline"), 20_000, "offline");
    // Each bad frame is a warning of its own (the shared poll engine's); the failed poll's follows.
    const bad = lines.find((l) => l.level === 40 && l.device === "elec");
    expect(String(bad?.msg)).toMatch(/^Bad Modbus frame from elec: Modbus CRC is 0x[0-9a-f]{4}, expected/);
    const warn = lines.find(
      (l) => l.level === 40 && l.device === "elec" && String(l.msg).startsWith("Poll of"),
    );
    expect(warn?.module).toBe("modbus");
    expect(warn?.code).toBe(ErrorCode.FrameChecksum);
    expect(String(warn?.msg)).toMatch(
      /Poll of Modbus device elec failed \(1\/3\): Modbus CRC is 0x[0-9a-f]{4}, expected/,
    );
  });

  it("a slow meter's late replies are never taken as another meter's answer", async () => {
    // Different values from the good meter, so a late reply mistaken for the good meter's would show.
    const slow = new SimulatedModbusMeter({
      profile: fastProfile("eastron-sdm120"),
      unitId: 1,
      slowMs: 150,
      values: () => ({ energy_total_kwh: 1, power_w: 999, voltage_v: 1, frequency_hz: 1 }),
    });
    slow.fault = "slow";
    const good = electricity(2);
    const sim = new SimulatedLine().addPort(PORT, slow, good);
    const profile = fastProfile("eastron-sdm120", { response_timeout_ms: 40 });
    const { sink, driver } = start(
      makeDriver(
        [
          { id: "slow", profile, unit_id: 1, port: PORT },
          { id: "good", profile, unit_id: 2, port: PORT },
        ],
        sim,
      ),
    );
    // Wait on counts that do not depend on the timing phase: on a loaded machine the slow meter can
    // settle into answering one request behind (each late reply taken as its own next answer), so
    // its timeout count may stop growing after the first; its requests on the line always grow.
    await waitFor(
      () =>
        (driver.status().find((s) => s.id === "slow")?.timeouts ?? 0) >= 1 &&
        sim.recording(PORT).filter((r) => r[0] === 1).length >= 12,
      20_000,
      "slow meter requests",
    );
    await waitFor(() => sink.of("good", "power_w").length >= 5, 20_000, "good readings");
    // Every value the good meter produced is its own (456.25 W), whatever arrived late on the line.
    // (A late reply can be taken as the answer to the slow meter's own next read of the same size: RTU
    // replies carry no address. That is the slow meter's data, never another's.)
    expect(new Set(sink.of("good", "power_w").map((r) => r.value))).toEqual(new Set([456.25]));
    expect(sink.of("slow", "power_w").every((r) => r.value === 999)).toBe(true);
    expect(driver.status().find((s) => s.id === "good")?.availability).toBe("online");
  });
});
