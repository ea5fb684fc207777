/**
 * Health readings in the pipeline: telemetry at the device's time, the day's record, the care plan's
 * limits (a `health` alert, never a diagnosis), a missed regular measurement (an event), activity.
 */
import { describe, expect, it } from "vitest";
import { type HealthConfig, healthSchema } from "../../src/config/health-schema.js";
import type { HealthReading } from "../../src/core/readings.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

const config = (c: Record<string, unknown>): HealthConfig => healthSchema.parse(c);

function bp(wall: number, mono: number, systolic: number, diastolic = 85): HealthReading {
  return {
    device: "bp-1",
    atWallMs: wall,
    receiveTime: false,
    values: [
      { channel: "systolic_mmhg", value: systolic },
      { channel: "diastolic_mmhg", value: diastolic },
      { channel: "pulse_bpm", value: 70 },
    ],
    flags: ["irregular_pulse"],
    mono,
  };
}

describe("health readings in the pipeline", () => {
  it("telemetry carries the device's own time, not the receive time", () => {
    const { clock, sink, p } = pipelineRig(
      "2026-03-02T09:00:00+08:00",
      {},
      { health: config({ enabled: true }) },
    );
    const measured = clock.wallMs() - 2 * HOUR_MS;
    p.health(bp(measured, clock.monotonicMs(), 128));
    expect(sink.telemetry).toEqual([
      {
        device: "bp-1",
        at: "2026-03-02T07:00:00.000+08:00",
        values: [
          { channel: "systolic_mmhg", value: 128, unit: "mmHg" },
          { channel: "diastolic_mmhg", value: 85, unit: "mmHg" },
          { channel: "pulse_bpm", value: 70, unit: "bpm" },
        ],
      },
    ]);
    expect(sink.alerts).toEqual([]);
  });

  it("a reading at or over the care plan's limit raises one health alert naming reading and limit, not a diagnosis", () => {
    const limits = { systolic_mmhg: { at_least: 180 }, spo2_pct: { at_most: 90 } };
    const { clock, sink, p } = pipelineRig(
      "2026-03-02T09:00:00+08:00",
      {},
      { health: config({ enabled: true, limits }) },
    );
    p.health(bp(clock.wallMs(), clock.monotonicMs(), 179));
    expect(sink.alerts).toEqual([]);
    p.health(bp(clock.wallMs(), clock.monotonicMs(), 180));
    expect(sink.alerts).toHaveLength(1);
    expect(sink.alerts[0]).toMatchObject({
      kind: "health",
      state: "raised",
      device: "bp-1",
      evidence: {
        readings: [{ channel: "systolic_mmhg", value: 180, unit: "mmHg", limit: { at_least: 180 } }],
        device_flags: ["irregular_pulse"],
        note: expect.stringMatching(/not a diagnosis/),
      },
    });
  });

  it("without health.enabled nothing is recorded (opt-in per home)", () => {
    const { clock, sink, p } = pipelineRig("2026-03-02T09:00:00+08:00");
    p.health(bp(clock.wallMs(), clock.monotonicMs(), 200));
    expect(sink.telemetry).toEqual([]);
    expect(sink.alerts).toEqual([]);
  });

  it("the day's readings are in the daily record, and the next day's record starts empty", () => {
    const { clock, sink, p } = pipelineRig(
      "2026-03-02T09:00:00+08:00",
      {},
      { health: config({ enabled: true }) },
    );
    p.health(bp(clock.wallMs(), clock.monotonicMs(), 131));
    clock.advanceBy(DAY_MS);
    clock.advanceBy(DAY_MS);
    expect(sink.summaries).toHaveLength(2);
    expect(sink.summaries[0]?.health?.map((e) => [e.channel, e.value])).toEqual([
      ["systolic_mmhg", 131],
      ["diastolic_mmhg", 85],
      ["pulse_bpm", 70],
    ]);
    expect(sink.summaries[0]?.health?.[0]).toMatchObject({
      device: "bp-1",
      at: "2026-03-02T09:00:00.000+08:00",
    });
    expect(sink.summaries[1]?.health).toBeUndefined();
  });

  it("a measurement is activity: it ends a silence that was running", () => {
    const { clock, p } = pipelineRig("2026-03-02T09:00:00+08:00", {}, { health: config({ enabled: true }) });
    clock.advanceBy(30 * MINUTE_MS);
    p.health(bp(clock.wallMs(), clock.monotonicMs(), 120));
    expect(p.lastActivity()).toMatchObject({ device: "bp-1", source: "health", silence_s: 0 });
  });

  it("a daily measurement missing by its time is one event for the carer, not an alert; none the day it came", () => {
    const regular = { every: "1d", by: "10:00" };
    const { clock, sink, p } = pipelineRig(
      "2026-03-02T08:00:00+08:00",
      {},
      { health: config({ enabled: true, regular }) },
    );
    clock.advanceBy(3 * HOUR_MS); // 11:00, nothing measured today
    const missed = sink.events.filter((e) => e.event === "health_measurement_missed");
    expect(missed).toHaveLength(1);
    expect(missed[0]?.data).toMatchObject({
      last_measurement: null,
      note: expect.stringMatching(/not an alarm/),
    });
    expect(sink.alerts).toEqual([]);
    // The next day it comes at 09:00: no event that day.
    clock.advanceBy(22 * HOUR_MS);
    p.health(bp(clock.wallMs(), clock.monotonicMs(), 125));
    clock.advanceBy(3 * HOUR_MS);
    expect(sink.events.filter((e) => e.event === "health_measurement_missed")).toHaveLength(1);
  });
});
