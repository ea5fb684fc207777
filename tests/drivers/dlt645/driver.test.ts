import { describe, expect, it } from "vitest";
import { Dlt645Driver } from "../../../drivers/dlt645/driver.js";
import { Dlt645Meter } from "../../../drivers/dlt645/sim/index.js";
import type { Channel } from "../../../src/core/channels.js";
import { ErrorCode } from "../../../src/core/errors.js";
import { type MeterRig, meterRigs, POLLED_BY_HAND } from "../../helpers/meter-rig.js";
import { loadProfile } from "../../helpers/profiles.js";

const PORT = "/dev/ttySIM-dlt";
// Polls are driven by pollNow, not the schedule; the clock is virtual.
const profile = loadProfile("generic-dlt645-single-phase", "dlt645", POLLED_BY_HAND);
const rigs = meterRigs();

function setup(meters: Dlt645Meter[], opts: { chunkSize?: number; offlineAfter?: number } = {}) {
  const rig = rigs({ line: { chunkSize: opts.chunkSize } });
  rig.line.addPort(PORT, ...meters);
  const driver = rig.start(
    new Dlt645Driver(
      meters.map((m, i) => ({ id: `meter-${i + 1}`, profile, port: PORT, address: m.address })),
      rig.deps({ offlineAfter: opts.offlineAfter ?? 2 }),
    ),
  );
  return { rig, sim: rig.line, sink: rig.sink, driver, lines: rig.logged };
}

function meter(address: string, values: Partial<Record<Channel, number>>) {
  return new Dlt645Meter({ address, identifiers: profile.dlt645.identifiers, values: () => values });
}

/** Line open and the poll the driver runs at start done, so tests count only their own requests. */
async function ready(rig: MeterRig, driver: Dlt645Driver) {
  await rig.opened();
  await rig.until("first scheduled poll", () => driver.status().every((s) => s.polls >= 1));
}

describe("Dlt645Driver over a simulated RS-485 line", () => {
  it("reads every profile identifier, scaled to its channel, from replies arriving in small chunks", async () => {
    const m = meter("000000000001", {
      energy_total_kwh: 1234.56,
      voltage_v: 229.8,
      current_a: -1.5,
      power_w: 345.6,
    });
    const { rig, sink, driver } = setup([m], { chunkSize: 3 });
    await ready(rig, driver);
    m.seen.readData = 0;
    const r = await rig.run(driver.pollNow("meter-1"));
    expect(r.ok).toBe(true);
    expect(r.values.map((v) => [v.name, v.value])).toEqual([
      ["energy_total", 1234.56],
      ["voltage_a", 229.8],
      ["current_a", -1.5],
      ["power_total", 345.6],
    ]);
    expect(sink.last("meter-1", "power_w")).toBeCloseTo(345.6, 6);
    expect(sink.last("meter-1", "energy_total_kwh")).toBeCloseTo(1234.56, 6);
    expect(sink.states("meter-1")).toEqual(["online"]);
    expect(m.seen.readData).toBe(4);
  });

  it("counts and logs bad checksums, never throws, goes offline, and comes back when the meter heals", async () => {
    const m = meter("000000000002", { energy_total_kwh: 10, voltage_v: 230, current_a: 0, power_w: 0 });
    m.fault = "bad-checksum";
    const { rig, sink, driver, lines } = setup([m]);
    await rig.opened();
    const first = await rig.run(driver.pollNow("meter-1"));
    expect(first.ok).toBe(false);
    expect(first.errors[0]?.code).toBe(ErrorCode.FrameChecksum);
    await rig.run(driver.pollNow("meter-1"));
    expect(sink.states("meter-1")).toEqual(["offline"]);
    const st = driver.status()[0];
    expect(st?.availability).toBe("offline");
    expect(st?.badFrames).toBeGreaterThanOrEqual(2);
    const warn = lines.find(
      (l) => l.level === 40 && l.device === "meter-1" && l.code === ErrorCode.FrameChecksum,
    );
    expect(warn?.msg).toMatch(/Bad DL\/T 645 frame from meter-1: .*checksum/);
    m.fault = "none";
    const healed = await rig.run(driver.pollNow("meter-1"));
    expect(healed.ok).toBe(true);
    expect(sink.states("meter-1")).toEqual(["offline", "online"]);
  });

  it("treats an abnormal reply as a meter that is there and refused", async () => {
    const m = meter("000000000003", { energy_total_kwh: 10 });
    m.fault = "abnormal";
    const { rig, sink, driver } = setup([m]);
    await ready(rig, driver);
    m.seen.readData = 0;
    const r = await rig.run(driver.pollNow("meter-1"));
    expect(r.errors.map((e) => e.code)).toEqual(Array(4).fill(ErrorCode.DeviceException));
    expect(r.errors[0]?.message).toContain("other error");
    expect(sink.states("meter-1")).toEqual(["online"]);
    expect(driver.status()[0]?.exceptions).toBe(8); // the start poll's and this one's
    // Asked once per identifier: refusals are not retried.
    expect(m.seen.readData).toBe(4);
  });

  it("answers 'no requested data' for a value the meter does not have, and still gives the others", async () => {
    const m = meter("000000000004", { energy_total_kwh: 42 });
    const { rig, sink, driver } = setup([m]);
    await rig.opened();
    const r = await rig.run(driver.pollNow("meter-1"));
    expect(r.values.map((v) => v.name)).toEqual(["energy_total"]);
    expect(r.errors[0]?.message).toContain("no requested data");
    expect(sink.last("meter-1", "energy_total_kwh")).toBe(42);
  });

  it("gives up on a silent meter after its first identifier instead of waiting out every one", async () => {
    const m = meter("000000000005", { energy_total_kwh: 1 });
    m.fault = "silence";
    const { rig, driver } = setup([m]);
    await ready(rig, driver);
    m.seen.readData = 0;
    const r = await rig.run(driver.pollNow("meter-1"));
    expect(r.errors.map((e) => e.code)).toEqual([ErrorCode.Timeout]);
    // One identifier, asked 1 + retries times.
    expect(m.seen.readData).toBe(2);
  });

  it("keeps reading a good meter while another on the same line answers garbage", async () => {
    const good = meter("000000000006", { energy_total_kwh: 7, voltage_v: 231, current_a: 1, power_w: 100 });
    const bad = meter("000000000007", { energy_total_kwh: 8 });
    bad.fault = "garbage";
    const { rig, sink, driver } = setup([good, bad]);
    await rig.opened();
    const [g, b] = await rig.run(Promise.all([driver.pollNow("meter-1"), driver.pollNow("meter-2")]));
    expect(g.ok).toBe(true);
    expect(b.ok).toBe(false);
    expect(sink.last("meter-1", "voltage_v")).toBe(231);
    expect(sink.all("meter-2")).toEqual([]);
  });

  it("reports offline when the adapter is unplugged mid-poll and online again once it is back", async () => {
    const m = meter("000000000008", { energy_total_kwh: 5, voltage_v: 230, current_a: 0, power_w: 0 });
    m.fault = "silence"; // the poll is waiting for a reply when the adapter goes
    const { rig, sim, sink, driver } = setup([m]);
    await rig.opened();
    const inFlight = driver.pollNow("meter-1");
    await rig.until("request on the wire", () => m.seen.readData > 0);
    sim.unplug(PORT);
    const lost = await rig.run(inFlight);
    expect(lost.errors[0]?.code).toBe(ErrorCode.PortClosed);
    await rig.run(driver.pollNow("meter-1"));
    expect(sink.states("meter-1")).toEqual(["offline"]);
    m.fault = "none";
    sim.plug(PORT);
    await rig.opened();
    const back = await rig.run(driver.pollNow("meter-1"));
    expect(back.ok).toBe(true);
    expect(sink.states("meter-1")).toEqual(["offline", "online"]);
  });

  it("polls on its own schedule", async () => {
    const fast = { ...profile, timing: { ...profile.timing, poll_interval_s: 0.05 } };
    const m = new Dlt645Meter({
      address: "000000000009",
      identifiers: fast.dlt645.identifiers,
      values: () => ({ voltage_v: 220 }),
    });
    const rig = rigs();
    rig.line.addPort(PORT, m);
    const sink = rig.sink;
    const driver = rig.start(
      new Dlt645Driver([{ id: "m", profile: fast, port: PORT, address: m.address }], {
        sink,
        clock: rig.clock,
        lines: rig.lines,
      }),
    );
    await rig.until(
      "3 polls",
      () => driver.status()[0]?.polls !== undefined && (driver.status()[0]?.polls ?? 0) >= 3,
    );
    expect(sink.last("m", "voltage_v")).toBe(220);
  });

  it("refuses to start with a bad address or an unknown profile, naming the device", () => {
    const rig = rigs();
    const d = new Dlt645Driver(
      [
        { id: "a", profile, port: PORT, address: "12345" },
        { id: "b", profile: "no-such-profile", port: PORT, address: "000000000001" },
      ],
      { sink: rig.sink, clock: rig.clock, lines: rig.lines },
    );
    expect(d.validate()).toEqual([
      'device a: address "12345" must be 12 digits as on the nameplate (whole AA bytes for wildcards)',
      "device b: unknown profile no-such-profile",
    ]);
    expect(() => d.start()).toThrow(/device a: address/);
  });
});
