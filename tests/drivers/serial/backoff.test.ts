import { describe, expect, it } from "vitest";
import { SerialLine } from "../../../drivers/serial/line.js";
import { SimulatedLine } from "../../../drivers/serial/sim/index.js";
import { VirtualClock } from "../../../src/core/clock.js";
import { settleIo } from "../../helpers/wait.js";

/** Lets the binding's promise-based open settle between clock steps. */
const settle = () => settleIo(20);

describe("SerialLine reopen back-off (virtual clock)", () => {
  it("retries a missing port with exponential, capped, jittered delays and opens when it appears", async () => {
    const clock = new VirtualClock();
    const sim = new SimulatedLine({ clock });
    const attempts: number[] = [];
    const open = sim.open.bind(sim);
    sim.open = (o) => {
      attempts.push(clock.monotonicMs());
      return open(o);
    };
    const line = new SerialLine({
      path: "/dev/ttyGONE",
      settings: { baud: 9600, data_bits: 8, parity: "none", stop_bits: 1 },
      binding: sim,
      clock,
      backoff: { initialMs: 100, factor: 2, maxMs: 1000, jitter: 0.5 },
      // Jitter factor 1 + 0.5 × (2r − 1): r = 0.75 stretches every delay by 25 %.
      random: () => 0.75,
    });
    line.start();
    await settle();
    for (let t = 0; t < 6000; t += 25) {
      clock.advanceBy(25);
      await settle();
    }
    // Delays 125, 250, 500, 1000, 1250 (capped at 1000 × 1.25), 1250 ...
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] as number));
    expect(gaps.slice(0, 6)).toEqual([125, 250, 500, 1000, 1250, 1250]);
    expect(line.isOpen).toBe(false);
    sim.addPort("/dev/ttyGONE");
    for (let t = 0; t < 1500 && !line.isOpen; t += 25) {
      clock.advanceBy(25);
      await settle();
    }
    expect(line.isOpen).toBe(true);
    await line.stop();
  });
});
