import { describe, expect, it } from "vitest";
import { Cjt188Driver } from "../../../drivers/cjt188/driver.js";
import { Cjt188Meter } from "../../../drivers/cjt188/sim/index.js";
import { Dlt645Driver } from "../../../drivers/dlt645/driver.js";
import { Dlt645Meter } from "../../../drivers/dlt645/sim/index.js";
import { ModbusDriver } from "../../../drivers/modbus/driver.js";
import { SimulatedModbusMeter } from "../../../drivers/modbus/sim/index.js";
import { meterRigs } from "../../helpers/meter-rig.js";
import { loadProfile } from "../../helpers/profiles.js";

/*
 * One RS-485 line carrying three meters of three protocols, each read by its own driver through the one
 * SerialLine of the port, with bytes taking their time on the wire (9600 baud) on the virtual clock.
 */

const PORT = "/dev/ttySIM-mixed";
const fastTiming = { response_timeout_ms: 400, inter_frame_gap_ms: 5, retries: 0, poll_interval_s: 0.15 };
const modbusProfile = loadProfile("eastron-sdm120", "modbus", fastTiming);
const dltProfile = loadProfile("generic-dlt645-single-phase", "dlt645", fastTiming);
const cjtProfile = loadProfile("generic-cjt188-cold-water", "cjt188", fastTiming);
// The line runs at the Modbus meter's setting; the other two meters were set to match (config override).
const line = modbusProfile.serial;

const rigs = meterRigs();

function build() {
  const modbusMeter = new SimulatedModbusMeter({
    profile: modbusProfile,
    unitId: 7,
    values: () => ({ voltage_v: 231.5, power_w: 420, energy_total_kwh: 1500.25 }),
  });
  const dltMeter = new Dlt645Meter({
    address: "000012345678",
    identifiers: dltProfile.dlt645.identifiers,
    values: () => ({ energy_total_kwh: 987.65, voltage_v: 228.4, current_a: 0.52, power_w: 118.3 }),
  });
  const waterMeter = new Cjt188Meter({
    address: "00000805000001",
    values: () => ({ water_total_m3: 56.78 }),
  });
  const rig = rigs({ line: { baud: 9600, chunkSize: 8 } });
  const sim = rig.line.addPort(PORT, modbusMeter, dltMeter, waterMeter);
  const { sink, lines: pool } = rig;
  const deps = { sink, clock: rig.clock, lines: pool, offlineAfter: 3 };
  const modbus = new ModbusDriver([{ id: "mb", profile: modbusProfile, unit_id: 7, port: PORT }], deps);
  const dlt = new Dlt645Driver(
    [
      {
        id: "dlt",
        profile: dltProfile,
        port: PORT,
        address: dltMeter.address,
        baud: line.baud,
        parity: line.parity,
      },
    ],
    deps,
  );
  const water = new Cjt188Driver(
    [
      {
        id: "water",
        profile: cjtProfile,
        port: PORT,
        address: waterMeter.address,
        baud: line.baud,
        parity: line.parity,
      },
    ],
    deps,
  );
  rig.start(modbus);
  rig.start(dlt);
  rig.start(water);
  return { rig, sim, pool, sink, modbusMeter, dltMeter, waterMeter, modbus, dlt, water };
}

describe("a line with a Modbus, a DL/T 645 and a CJ/T 188 meter", () => {
  it("polls all three together through one SerialLine", async () => {
    const { rig, sink, pool } = build();
    await rig.until(
      "readings from all three",
      () => sink.all("mb").length > 0 && sink.all("dlt").length > 0 && sink.all("water").length > 0,
    );
    expect(pool.lines()).toHaveLength(1);
    expect(sink.last("mb", "voltage_v")).toBeCloseTo(231.5, 1);
    expect(sink.last("dlt", "power_w")).toBeCloseTo(118.3, 6);
    expect(sink.last("dlt", "energy_total_kwh")).toBeCloseTo(987.65, 6);
    expect(sink.last("water", "water_total_m3")).toBeCloseTo(56.78, 6);
    const stats = pool.lines()[0]?.stats;
    // Every request got its answer: nothing timed out while three protocols took turns on the wire.
    expect(stats?.timeouts).toBe(0);
    expect(sink.changes.map((c) => `${c.device}:${c.state}`).sort()).toEqual([
      "dlt:online",
      "mb:online",
      "water:online",
    ]);
  });

  it("keeps reading the others while one meter answers garbage and another is silent", async () => {
    const { rig, sink, dltMeter, modbusMeter } = build();
    dltMeter.fault = "garbage";
    modbusMeter.fault = "silence";
    await rig.until(
      "both offline",
      () => sink.states("dlt").includes("offline") && sink.states("mb").includes("offline"),
    );
    const before = sink.all("water").length;
    await rig.until("three more water readings", () => sink.all("water").length >= before + 3);
    expect(sink.states("water")).toEqual(["online"]);
    expect(sink.all("dlt")).toEqual([]);
    // Healing brings them back.
    dltMeter.fault = "none";
    modbusMeter.fault = "none";
    await rig.until(
      "both online again",
      () => sink.states("dlt").at(-1) === "online" && sink.states("mb").at(-1) === "online",
    );
  });
});
