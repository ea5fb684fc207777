import { describe, expect, it } from "vitest";
import { bytesToDi, decodeFrame } from "../../../drivers/dlt645/codec.js";
import { Dlt645Driver } from "../../../drivers/dlt645/driver.js";
import { Dlt645Meter } from "../../../drivers/dlt645/sim/index.js";
import type { SimReply, SimulatedDevice } from "../../../drivers/serial/sim/index.js";
import { meterRigs, POLLED_BY_HAND } from "../../helpers/meter-rig.js";
import { loadProfile } from "../../helpers/profiles.js";

/*
 * Regression: a meter's late reply (to a request that had timed out) arrived in front of the answer to
 * the next identifier; the driver refused it ("reply for 02010100, asked 02020100") and failed that
 * identifier too, although its own answer followed on the line. Found by the meter-codecs bench, whose
 * first poll was starved of timers. The transaction now skips the late frame and takes the answer.
 */

const PORT = "/dev/ttySIM-late";
const VOLTAGE = "02010100";
const profile = loadProfile("generic-dlt645-single-phase", "dlt645", {
  ...POLLED_BY_HAND,
  response_timeout_ms: 150,
  retries: 0,
});
const rigs = meterRigs();

/**
 * Wraps a meter: its answer to the first voltage request is held back (the request times out) and
 * sent just in front of its answer to the next request, as a slow meter's late reply would arrive.
 */
class LateOnce implements SimulatedDevice {
  #held: Buffer | undefined;
  #done = false;
  constructor(readonly meter: Dlt645Meter) {}
  respond(request: Buffer): SimReply | undefined {
    const reply = this.meter.respond(request);
    if (!reply) return undefined;
    if (!this.#done && bytesToDi(decodeFrame(request).data) === VOLTAGE) {
      this.#done = true;
      this.#held = reply.data;
      return undefined;
    }
    const held = this.#held;
    this.#held = undefined;
    return held ? { data: Buffer.concat([held, reply.data]) } : reply;
  }
}

describe("a late DL/T 645 reply in front of the next answer", () => {
  it("is skipped: only the timed-out identifier fails, the next one is read", async () => {
    const meter = new Dlt645Meter({
      address: "000000000007",
      identifiers: profile.dlt645.identifiers,
      values: () => ({ energy_total_kwh: 12.5, voltage_v: 229.9, current_a: 1.25, power_w: 287.5 }),
    });
    const rig = rigs();
    rig.line.addPort(PORT, new LateOnce(meter));
    const { sink, lines: pool } = rig;
    const driver = rig.start(
      new Dlt645Driver([{ id: "m", profile, port: PORT, address: meter.address }], {
        sink,
        clock: rig.clock,
        lines: pool,
      }),
    );
    // The poll the driver runs at start: energy read, voltage held back (timeout), then current and power.
    await rig.until("the first poll", () => driver.status()[0]?.polls === 1);
    const line = pool.lines()[0];
    expect(sink.all("m").map((r) => r.channel)).toEqual(["energy_total_kwh", "current_a", "power_w"]);
    expect(sink.last("m", "current_a")).toBeCloseTo(1.25, 6);
    const status = driver.status()[0];
    expect(status?.timeouts).toBe(1);
    expect(status?.badFrames).toBe(0);
    // The late voltage frame was dropped whole by the line, not taken as the current's answer.
    expect(line?.stats.droppedBytes).toBeGreaterThanOrEqual(16);
    // The next poll reads all four.
    const again = await rig.run(driver.pollNow("m"));
    expect(again.ok).toBe(true);
    expect(again.values.map((v) => v.name)).toEqual([
      "energy_total",
      "voltage_a",
      "current_a",
      "power_total",
    ]);
  });
});
