import { describe, expect, it } from "vitest";
import type { TelemetryBody } from "../../src/contract/messages.js";
import { VirtualClock } from "../../src/core/clock.js";
import type { Reading } from "../../src/core/readings.js";
import { MINUTE_MS, SECOND_MS } from "../../src/core/time.js";
import { GATHER_MS, TelemetrySlots } from "../../src/pipeline/telemetry.js";

const SLOT = 5 * MINUTE_MS;

/** Slots of 5 minutes on a virtual clock; every put recorded with the monotonic time it happened. */
function rig(everyMs = SLOT) {
  const clock = new VirtualClock({ monotonicStartMs: 0 });
  const out: { mono: number; body: TelemetryBody }[] = [];
  const slots = new TelemetrySlots({
    everyMs,
    clock,
    put: (body) => out.push({ mono: clock.monotonicMs(), body }),
  });
  const at = (mono: number, device: string, value: number) => {
    clock.advanceTo(mono);
    slots.offer({ device, at: `t${mono}`, values: [{ channel: "power_w", value, unit: "W" }] });
  };
  return { clock, out, slots, at };
}

const valuesOf = (out: { body: TelemetryBody }[]) =>
  out.map((o) => `${o.body.device}=${o.body.values[0]?.value}`);

describe("telemetry slots", () => {
  it("a device's first message since start leaves at once, then one per slot", () => {
    const r = rig();
    r.at(70 * SECOND_MS, "meter-1", 1);
    expect(r.out).toEqual([{ mono: 70 * SECOND_MS, body: expect.objectContaining({ device: "meter-1" }) }]);
    // The rest of the first slot is refused.
    r.at(2 * MINUTE_MS, "meter-1", 2);
    r.clock.advanceTo(SLOT - 1);
    expect(r.out).toHaveLength(1);
  });

  it("a device first heard more than a slot's length after start waits for the burst", () => {
    const r = rig();
    r.at(SLOT + MINUTE_MS, "door-1", 1);
    expect(r.out).toEqual([]);
    r.clock.advanceTo(2 * SLOT + GATHER_MS);
    expect(r.out).toEqual([
      { mono: 2 * SLOT + GATHER_MS, body: expect.objectContaining({ device: "door-1" }) },
    ]);
  });

  it("devices polled at their own phases leave together, at the end of the slot's gathering", () => {
    const r = rig();
    for (const d of ["meter-1", "meter-2", "meter-3"]) r.at(SECOND_MS, d, 0);
    r.out.length = 0;
    // Each meter polled every 2-3 s at its own phase; their first polls of the next slot within 3 s.
    r.at(SLOT + 400, "meter-2", 20);
    r.at(SLOT + 1_300, "meter-1", 10);
    r.at(SLOT + 2_900, "meter-3", 30);
    r.at(SLOT + 2_950, "meter-2", 21);
    expect(r.out).toEqual([]);
    r.clock.advanceTo(SLOT + GATHER_MS);
    // One burst at one instant (one outbox commit), each device's latest values of the slot.
    expect(valuesOf(r.out)).toEqual(["meter-2=21", "meter-1=10", "meter-3=30"]);
    expect(new Set(r.out.map((o) => o.mono))).toEqual(new Set([SLOT + GATHER_MS]));
    // Later readings of the same slot go nowhere.
    r.at(SLOT + GATHER_MS + 2_000, "meter-1", 11);
    r.clock.advanceTo(2 * SLOT - 1);
    expect(r.out).toHaveLength(3);
  });

  it("a device heard after the gathering waits for the next slot's burst, and still sends once a slot", () => {
    const r = rig();
    r.at(0, "meter-1", 0);
    r.at(0, "motion-1", 0);
    r.out.length = 0;
    // The motion sensor reports every 2 minutes (at 0:30, 2:30, 4:30...); the meter every 3 s.
    let motion = 1;
    for (let t = 3_000; t <= 3 * SLOT + GATHER_MS; t += 3_000) {
      if (t % (2 * MINUTE_MS) === 30 * SECOND_MS) r.at(t, "motion-1", motion++);
      r.at(t, "meter-1", t);
    }
    r.clock.advanceTo(3 * SLOT + GATHER_MS);
    const bursts = new Map<number, string[]>();
    for (const o of r.out) bursts.set(o.mono, [...(bursts.get(o.mono) ?? []), o.body.device]);
    // Every message left at a slot's release, never in between; the motion sensor's with the meter's.
    expect([...bursts.keys()]).toEqual([SLOT + GATHER_MS, 2 * SLOT + GATHER_MS, 3 * SLOT + GATHER_MS]);
    // The first slot's motion message was its first since start.
    expect([...bursts.values()]).toEqual([["meter-1"], ["motion-1", "meter-1"], ["motion-1", "meter-1"]]);
    // A burst's motion message is the latest of the slot before (6:30 and 8:30: the second).
    expect(valuesOf(r.out.filter((o) => o.body.device === "motion-1"))).toEqual(["motion-1=5", "motion-1=8"]);
  });

  it("a held message of an earlier slot is not lost when its device speaks again before the release", () => {
    const r = rig();
    r.at(0, "door-1", 0);
    r.at(2 * SLOT - 10 * SECOND_MS, "door-1", 1);
    r.at(2 * SLOT + SECOND_MS, "door-1", 2);
    r.clock.advanceTo(2 * SLOT + GATHER_MS);
    expect(valuesOf(r.out)).toEqual(["door-1=0", "door-1=1", "door-1=2"]);
  });

  it("flush puts what is held (a clean stop), and nothing twice", () => {
    const r = rig();
    r.at(0, "meter-1", 0);
    r.at(MINUTE_MS, "motion-1", 0);
    r.at(2 * MINUTE_MS, "motion-1", 1);
    r.out.length = 0;
    r.at(SLOT + SECOND_MS, "meter-1", 5);
    r.slots.flush();
    expect(valuesOf(r.out)).toEqual(["meter-1=5"]);
    r.clock.advanceTo(3 * SLOT);
    expect(r.out).toHaveLength(1);
  });

  it("with interval 0 every message leaves at once", () => {
    const r = rig(0);
    r.at(0, "meter-1", 1);
    r.at(0, "meter-1", 2);
    r.at(1, "meter-1", 3);
    expect(valuesOf(r.out)).toEqual(["meter-1=1", "meter-1=2", "meter-1=3"]);
  });

  it("readings of a batch: one message per device, values in batch order with units", () => {
    const r = rig(MINUTE_MS);
    const reading = (device: string, channel: Reading["channel"], value: number): Reading => ({
      device,
      channel,
      value,
      mono: 0,
    });
    r.slots.readings(
      [
        reading("meter-1", "power_w", 12),
        reading("water-1", "water_total_m3", 10.5),
        reading("meter-1", "energy_total_kwh", 100.5),
      ],
      "2026-03-02T09:00:00.000+08:00",
    );
    expect(r.out.map((o) => o.body)).toEqual([
      {
        device: "meter-1",
        at: "2026-03-02T09:00:00.000+08:00",
        values: [
          { channel: "power_w", value: 12, unit: "W" },
          { channel: "energy_total_kwh", value: 100.5, unit: "kWh" },
        ],
      },
      {
        device: "water-1",
        at: "2026-03-02T09:00:00.000+08:00",
        values: [{ channel: "water_total_m3", value: 10.5, unit: "m3" }],
      },
    ]);
  });
});
