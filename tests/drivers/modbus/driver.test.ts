import { describe, expect, it } from "vitest";
import { ModbusDriver, type ModbusDriverDeps } from "../../../drivers/modbus/driver.js";
import { planReads } from "../../../drivers/modbus/plan.js";
import {
  type ModbusFault,
  SimulatedModbusMeter,
  startModbusTcpServer,
} from "../../../drivers/modbus/sim/index.js";
import { SystemClock } from "../../../src/core/clock.js";
import { ErrorCode } from "../../../src/core/errors.js";
import { fastModbusProfile as fastProfile, type MeterRig, meterRigs } from "../../helpers/meter-rig.js";

const PORT = "/dev/ttySIM-modbus";
const rigs = meterRigs();

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

type Devices = ConstructorParameters<typeof ModbusDriver>[0];

/** A started ModbusDriver on a rig (virtual clock by default) whose simulated line carries `meters` on PORT. */
function start(devices: Devices, meters: SimulatedModbusMeter[], more: { rig?: MeterRig } = {}) {
  const rig = more.rig ?? rigs();
  if (meters.length > 0) rig.line.addPort(PORT, ...meters);
  const deps: ModbusDriverDeps = rig.deps();
  const driver = rig.start(new ModbusDriver(devices, deps));
  return { rig, sink: rig.sink, lines: rig.lines, driver };
}

/*
 * The TCP client's timeouts run on the injected clock, but its sockets are real; these driver tests
 * stay on the system clock so the schedule and the socket I/O interleave as on a gateway (the
 * client's own timeouts on a virtual clock: tests/drivers/modbus/tcp-client.test.ts).
 */
function startTcp(devices: Devices) {
  return start(devices, [], { rig: rigs({ clock: new SystemClock() }) });
}

const one = (id = "elec") => [{ id, profile: fastProfile("eastron-sdm120"), unit_id: 1, port: PORT }];

describe("ModbusDriver over SimulatedLine", () => {
  it("reads two meters on one line and emits their semantic channels with the right values", async () => {
    const { rig, sink } = start(
      [
        { id: "elec", profile: fastProfile("eastron-sdm120"), unit_id: 1, port: PORT },
        { id: "water", profile: fastProfile("generic-modbus-water"), unit_id: 2, port: PORT },
      ],
      [electricity(1), water(2)],
      { rig: rigs({ line: { chunkSize: 3 } }) },
    );
    await rig.until(
      "readings of both",
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
    // SDM120: three grouped reads per poll, as planReads says. Both meters' first polls start together
    // and take turns on the line, so the SDM120's (unit 1) are picked out of the recording.
    const first = rig.line
      .recording(PORT)
      .filter((b) => b[0] === 1)
      .slice(0, 3);
    expect(first.map((b) => b.toString("hex")).every((h) => h.startsWith("0104"))).toBe(true);
    const sdm120 = fastProfile("eastron-sdm120").modbus;
    const plan = planReads(sdm120.registers, {
      maxRegisters: sdm120.max_registers_per_read,
      maxGap: sdm120.max_gap,
    });
    expect(first.map((b) => [b.readUInt16BE(2), b.readUInt16BE(4)])).toEqual(
      plan.map((r) => [r.address, r.quantity]),
    );
  });

  it.each<ModbusFault>(["bad_crc", "silence", "garbage"])(
    "%s: retries, goes offline after 3 failed polls, comes back online when the meter recovers",
    async (fault) => {
      const meter = electricity(1);
      meter.fault = fault;
      const { rig, sink, driver } = start(one(), [meter]);
      await rig.until("offline", () => sink.states("elec").includes("offline"));
      const st = driver.status()[0];
      expect(st?.availability).toBe("offline");
      expect(st?.failedPolls).toBeGreaterThanOrEqual(3);
      // Each of the 3 reads of a poll is tried twice (retries: 1) before the poll counts as failed.
      expect(meter.requests).toBeGreaterThanOrEqual(3 * 3 * 2);
      if (fault === "bad_crc") expect(st?.badFrames).toBeGreaterThan(0);
      else expect(st?.timeouts).toBeGreaterThan(0);
      expect(sink.of("elec", "power_w")).toHaveLength(0);
      meter.fault = "none";
      await rig.until("online again", () => sink.states("elec").at(-1) === "online");
      expect(sink.states("elec")).toEqual(["offline", "online"]);
      expect(sink.of("elec", "power_w").length).toBeGreaterThan(0);
    },
  );

  it("a meter answering garbage does not stop another meter on the same line", async () => {
    const bad = electricity(1);
    bad.fault = "garbage";
    const good = water(2);
    const { rig, sink } = start(
      [
        { id: "bad", profile: fastProfile("eastron-sdm120"), unit_id: 1, port: PORT },
        { id: "good", profile: fastProfile("generic-modbus-water"), unit_id: 2, port: PORT },
      ],
      [bad, good],
    );
    await rig.until("bad offline", () => sink.states("bad").includes("offline"));
    const before = sink.of("good", "water_total_m3").length;
    await rig.until("good keeps reading", () => sink.of("good", "water_total_m3").length >= before + 3);
    expect(sink.states("good")).toEqual(["online"]);
  });

  it("an exception reply keeps the device online and is counted, not retried", async () => {
    const meter = electricity(1);
    meter.fault = "exception";
    const { rig, sink, driver } = start(one(), [meter]);
    await rig.until("exceptions", () => (driver.status()[0]?.exceptions ?? 0) >= 6);
    const result = await rig.run(driver.pollNow("elec"));
    expect(result.errors[0]?.code).toBe(ErrorCode.DeviceException);
    expect(result.errors[0]?.context.exceptionName).toBe("SERVER DEVICE FAILURE");
    expect(sink.states("elec")).toEqual(["online"]);
  });

  it("the adapter vanishing takes the device offline; it comes back online when the adapter returns", async () => {
    const { rig, sink, lines } = start(one(), [electricity(1)]);
    await rig.until("online", () => sink.states("elec").includes("online"));
    rig.line.unplug(PORT);
    await rig.until("offline", () => sink.states("elec").includes("offline"));
    expect(lines.lines()[0]?.isOpen).toBe(false);
    rig.line.plug(PORT);
    await rig.until("online again", () => sink.states("elec").at(-1) === "online");
    expect(sink.states("elec")).toEqual(["online", "offline", "online"]);
  });

  it("reads a Modbus TCP meter through our TCP client", async () => {
    const meter = electricity(7);
    const server = await startModbusTcpServer([meter]);
    const { rig, sink } = startTcp([
      {
        id: "tcp-elec",
        profile: fastProfile("eastron-sdm120", { response_timeout_ms: 500 }),
        unit_id: 7,
        port: server.url,
      },
    ]);
    rig.after(() => server.close());
    await rig.until("a reading over TCP", () => sink.of("tcp-elec", "energy_total_kwh").length > 0);
    expect(sink.of("tcp-elec", "energy_total_kwh")[0]?.value).toBeCloseTo(1234.5, 2);
    expect(sink.states("tcp-elec")).toEqual(["online"]);
  });

  it("a silent TCP meter goes offline and back online", async () => {
    const meter = electricity(7);
    meter.fault = "silence";
    const server = await startModbusTcpServer([meter]);
    const { rig, sink, driver } = startTcp([
      {
        id: "tcp-elec",
        profile: fastProfile("eastron-sdm120", { response_timeout_ms: 50 }),
        unit_id: 7,
        port: server.url,
      },
    ]);
    rig.after(() => server.close());
    await rig.until("offline", () => sink.states("tcp-elec").includes("offline"));
    expect(driver.status()[0]?.timeouts).toBeGreaterThan(0);
    meter.fault = "none";
    await rig.until("online again", () => sink.states("tcp-elec").at(-1) === "online");
  });

  it("refuses to start with an unknown profile or a bad unit id, naming the device", () => {
    const driver = new ModbusDriver(
      [
        { id: "x", profile: "no-such-profile", unit_id: 1, port: PORT },
        { id: "y", profile: fastProfile("eastron-sdm120"), unit_id: 300, port: PORT },
      ],
      rigs().deps(),
    );
    expect(driver.validate()).toEqual([
      "device x: unknown profile no-such-profile",
      "device y: unit_id 300 is outside 1..247",
    ]);
    expect(() => driver.start()).toThrow(/misconfigured/);
  });

  it("logs a warning naming the device and the reason for a bad frame", async () => {
    const meter = electricity(1);
    meter.fault = "bad_crc";
    const { rig, sink } = start(one(), [meter]);
    await rig.until("offline", () => sink.states("elec").includes("offline"));
    const lines = rig.logged;
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
    const profile = fastProfile("eastron-sdm120", { response_timeout_ms: 40 });
    const { rig, sink, driver } = start(
      [
        { id: "slow", profile, unit_id: 1, port: PORT },
        { id: "good", profile, unit_id: 2, port: PORT },
      ],
      [slow, good],
    );
    // Wait on counts that do not depend on the timing phase: the slow meter can settle into answering
    // one request behind (each late reply taken as its own next answer), so its timeout count may stop
    // growing after the first; its requests on the line always grow.
    await rig.until(
      "slow meter requests",
      () =>
        (driver.status().find((s) => s.id === "slow")?.timeouts ?? 0) >= 1 &&
        rig.line.recording(PORT).filter((r) => r[0] === 1).length >= 12,
    );
    await rig.until("good readings", () => sink.of("good", "power_w").length >= 5);
    // Every value the good meter produced is its own (456.25 W), whatever arrived late on the line.
    // (A late reply can be taken as the answer to the slow meter's own next read of the same size: RTU
    // replies carry no address. That is the slow meter's data, never another's.)
    expect(new Set(sink.of("good", "power_w").map((r) => r.value))).toEqual(new Set([456.25]));
    expect(sink.of("slow", "power_w").every((r) => r.value === 999)).toBe(true);
    expect(driver.status().find((s) => s.id === "good")?.availability).toBe("online");
  });
});
