import { afterEach, describe, expect, it } from "vitest";
import { Cjt188Driver } from "../../../drivers/cjt188/driver.js";
import { Cjt188Meter } from "../../../drivers/cjt188/sim/index.js";
import { SerialLinePool } from "../../../drivers/serial/pool.js";
import { SimulatedLine } from "../../../drivers/serial/sim/index.js";
import { SystemClock } from "../../../src/core/clock.js";
import { ErrorCode } from "../../../src/core/errors.js";
import { capturingLogger, loadProfile, RecordingSink, waitFor } from "../dlt645/helpers.js";

const PORT = "/dev/ttySIM-cjt";
const clock = new SystemClock();
const profile = loadProfile("generic-cjt188-cold-water", "cjt188", {
  response_timeout_ms: 250,
  inter_frame_gap_ms: 0,
  retries: 1,
  poll_interval_s: 3600,
});

const pools: SerialLinePool[] = [];
const drivers: Cjt188Driver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.stop()));
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

function setup(meters: Cjt188Meter[], p = profile) {
  const sim = new SimulatedLine({ chunkSize: 4 }).addPort(PORT, ...meters);
  const pool = new SerialLinePool({
    binding: sim,
    clock,
    backoff: { initialMs: 10, maxMs: 40, jitter: 0.2 },
  });
  pools.push(pool);
  const sink = new RecordingSink();
  const { log, lines } = capturingLogger();
  const driver = new Cjt188Driver(
    meters.map((m, i) => ({ id: `water-${i + 1}`, profile: p, port: PORT, address: m.address })),
    { sink, clock, lines: pool, log, offlineAfter: 2 },
  );
  drivers.push(driver);
  driver.start();
  return { sim, pool, sink, driver, lines };
}

async function ready(pool: SerialLinePool, driver: Cjt188Driver) {
  await waitFor(() => pool.lines().every((l) => l.isOpen), 2000, "line open");
  await waitFor(() => driver.status().every((s) => s.polls >= 1), 3000, "first scheduled poll");
}

describe("Cjt188Driver over a simulated line", () => {
  it("feeds the cumulative flow to water_total_m3", async () => {
    let total = 123.45;
    const m = new Cjt188Meter({ address: "00000805000001", values: () => ({ water_total_m3: total }) });
    const { pool, sink, driver } = setup([m]);
    await ready(pool, driver);
    expect(sink.last("water-1", "water_total_m3")).toBeCloseTo(123.45, 6);
    total = 123.5;
    const r = await driver.pollNow("water-1");
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
    const { pool, sink, driver } = setup([litres, swapped]);
    await ready(pool, driver);
    expect(sink.last("water-1", "water_total_m3")).toBeCloseTo(12.345, 6);
    expect(sink.last("water-2", "water_total_m3")).toBe(7);
  });

  it("asks with the profile's DI order", async () => {
    const m = new Cjt188Meter({ address: "00000000000013", values: () => ({ water_total_m3: 1 }) });
    const swappedProfile = { ...profile, cjt188: { ...profile.cjt188, di_order: "swapped" as const } };
    const { sim, pool, driver } = setup([m], swappedProfile);
    await ready(pool, driver);
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
    const { pool, sink, driver, lines } = setup([m]);
    await ready(pool, driver);
    const r = await driver.pollNow("water-1");
    expect(r.errors[0]?.code).toBe(ErrorCode.FrameChecksum);
    expect(sink.states("water-1")).toEqual(["offline"]);
    expect(driver.status()[0]?.badFrames).toBeGreaterThanOrEqual(2);
    expect(
      lines.some((l) => l.level === 40 && l.device === "water-1" && String(l.msg).includes("checksum")),
    ).toBe(true);
    m.fault = "silence";
    const quiet = await driver.pollNow("water-1");
    expect(quiet.errors[0]?.code).toBe(ErrorCode.Timeout);
    m.fault = "none";
    expect((await driver.pollNow("water-1")).ok).toBe(true);
    expect(sink.states("water-1")).toEqual(["offline", "online"]);
  });

  it("treats an error reply as a meter that is there", async () => {
    const m = new Cjt188Meter({ address: "00000000000015", values: () => ({}), fault: "error-reply" });
    const { pool, sink, driver } = setup([m]);
    await ready(pool, driver);
    const r = await driver.pollNow("water-1");
    expect(r.errors[0]?.code).toBe(ErrorCode.DeviceException);
    expect(sink.states("water-1")).toEqual(["online"]);
    expect(sink.all("water-1")).toEqual([]);
  });
});
