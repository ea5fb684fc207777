import { describe, expect, it } from "vitest";
import { Cjt188Driver } from "../../../drivers/cjt188/driver.js";
import { Cjt188Meter } from "../../../drivers/cjt188/sim/index.js";
import { ErrorCode } from "../../../src/core/errors.js";
import { type MeterRig, meterRigs, POLLED_BY_HAND } from "../../helpers/meter-rig.js";
import { loadProfile } from "../../helpers/profiles.js";

const PORT = "/dev/ttySIM-cjt";
// Polls are driven by pollNow, not the schedule; the clock is virtual.
const profile = loadProfile("generic-cjt188-cold-water", "cjt188", POLLED_BY_HAND);
const rigs = meterRigs();

function setup(meters: Cjt188Meter[], p = profile) {
  const rig = rigs({ line: { chunkSize: 4 } });
  rig.line.addPort(PORT, ...meters);
  const driver = rig.start(
    new Cjt188Driver(
      meters.map((m, i) => ({ id: `water-${i + 1}`, profile: p, port: PORT, address: m.address })),
      rig.deps({ offlineAfter: 2 }),
    ),
  );
  return { rig, sim: rig.line, sink: rig.sink, driver, lines: rig.logged };
}

async function ready(rig: MeterRig, driver: Cjt188Driver) {
  await rig.opened();
  await rig.until("first scheduled poll", () => driver.status().every((s) => s.polls >= 1));
}

describe("Cjt188Driver over a simulated line", () => {
  it("feeds the cumulative flow to water_total_m3", async () => {
    let total = 123.45;
    const m = new Cjt188Meter({ address: "00000805000001", values: () => ({ water_total_m3: total }) });
    const { rig, sink, driver } = setup([m]);
    await ready(rig, driver);
    expect(sink.last("water-1", "water_total_m3")).toBeCloseTo(123.45, 6);
    total = 123.5;
    const r = await rig.run(driver.pollNow("water-1"));
    expect(r.ok).toBe(true);
    expect(sink.last("water-1", "water_total_m3")).toBeCloseTo(123.5, 6);
    expect(sink.states("water-1")).toEqual(["online"]);
  });

  it("converts a meter that counts in litres, and reads one that swaps DI bytes", async () => {
    const litres = new Cjt188Meter({
      address: "00000000000011",
      litres: true,
      values: () => ({ water_total_m3: 12.345 }),
    });
    const swapped = new Cjt188Meter({
      address: "00000000000012",
      diOrder: "swapped",
      values: () => ({ water_total_m3: 7 }),
    });
    const { rig, sink, driver } = setup([litres, swapped]);
    await ready(rig, driver);
    expect(sink.last("water-1", "water_total_m3")).toBeCloseTo(12.345, 6);
    expect(sink.last("water-2", "water_total_m3")).toBe(7);
  });

  it("asks with the profile's DI order", async () => {
    const m = new Cjt188Meter({ address: "00000000000013", values: () => ({ water_total_m3: 1 }) });
    const swappedProfile = { ...profile, cjt188: { ...profile.cjt188, di_order: "swapped" as const } };
    const { rig, sim, driver } = setup([m], swappedProfile);
    await ready(rig, driver);
    const req = sim.recording(PORT)[0] as Buffer;
    // FE FE 68 T A0..A6 C L DI0 DI1: the DI starts at 2 + 11
    expect([req[13], req[14]]).toEqual([0x1f, 0x90]);
  });

  it("counts bad checksums and silence, goes offline, and back online when the meter heals", async () => {
    const m = new Cjt188Meter({
      address: "00000000000014",
      values: () => ({ water_total_m3: 3 }),
      fault: "bad-checksum",
    });
    const { rig, sink, driver, lines } = setup([m]);
    await ready(rig, driver);
    const r = await rig.run(driver.pollNow("water-1"));
    expect(r.errors[0]?.code).toBe(ErrorCode.FrameChecksum);
    expect(sink.states("water-1")).toEqual(["offline"]);
    expect(driver.status()[0]?.badFrames).toBeGreaterThanOrEqual(2);
    expect(
      lines.some((l) => l.level === 40 && l.device === "water-1" && String(l.msg).includes("checksum")),
    ).toBe(true);
    m.fault = "silence";
    const quiet = await rig.run(driver.pollNow("water-1"));
    expect(quiet.errors[0]?.code).toBe(ErrorCode.Timeout);
    m.fault = "none";
    expect((await rig.run(driver.pollNow("water-1"))).ok).toBe(true);
    expect(sink.states("water-1")).toEqual(["offline", "online"]);
  });

  it("treats an error reply as a meter that is there", async () => {
    const m = new Cjt188Meter({ address: "00000000000015", values: () => ({}), fault: "error-reply" });
    const { rig, sink, driver } = setup([m]);
    await ready(rig, driver);
    const r = await rig.run(driver.pollNow("water-1"));
    expect(r.errors[0]?.code).toBe(ErrorCode.DeviceException);
    expect(sink.states("water-1")).toEqual(["online"]);
    expect(sink.all("water-1")).toEqual([]);
  });

  it("FF fields and short replies give the total; an FF total gives no reading (never 0) and one warning", async () => {
    const ff = new Cjt188Meter({
      address: "00000000000031",
      values: () => ({ water_total_m3: 12.34 }),
      replyShape: "ff-fields",
    });
    const short = new Cjt188Meter({
      address: "00000000000032",
      values: () => ({ water_total_m3: 45.6 }),
      replyShape: "short",
    });
    const { rig, sink, driver, lines } = setup([ff, short]);
    await ready(rig, driver);
    expect(sink.last("water-1", "water_total_m3")).toBe(12.34);
    expect(sink.last("water-2", "water_total_m3")).toBe(45.6);
    const before = sink.of("water-1", "water_total_m3").length;
    ff.replyShape = "ff-current";
    const r1 = await rig.run(driver.pollNow("water-1"));
    const r2 = await rig.run(driver.pollNow("water-1"));
    // The meter answered (it is online), but said nothing about its total.
    expect(r1.ok && r2.ok).toBe(true);
    expect(sink.of("water-1", "water_total_m3")).toHaveLength(before);
    expect(sink.states("water-1")).toEqual(["online"]);
    const warned = lines.filter(
      (l) => l.level === 40 && l.device === "water-1" && String(l.msg).includes("no water_total_m3"),
    );
    expect(warned).toHaveLength(1);
  });
});
