import { describe, expect, it } from "vitest";
import { HourlyTelemetry } from "../../src/sim/telemetry-summary.js";

const reading = (device: string, at: string, power: number) => ({
  device,
  at: `2026-03-02T${at}:00+08:00`,
  values: [
    { channel: "power_w", value: power, unit: "W" },
    { channel: "frequency_hz", value: 50, unit: "Hz" },
  ],
});

describe("the demo console's hourly telemetry", () => {
  it("prints one line per device per hour, when the device's next hour starts, with count, last and range", () => {
    const h = new HourlyTelemetry();
    expect(h.add(reading("meter-1", "06:05", 18))).toBeUndefined();
    expect(h.add(reading("water-1", "06:07", 1))).toBeUndefined();
    expect(h.add(reading("meter-1", "06:35", 1303))).toBeUndefined();
    expect(h.add(reading("meter-1", "06:55", 103))).toBeUndefined();
    const line = h.add(reading("meter-1", "07:05", 20));
    expect(line).toBe(
      "      06:00-07:00 telemetry meter-1 readings=3 power_w=103W (18..1303) frequency_hz=50Hz",
    );
    // A late reading of an earlier hour counts in the hour being collected.
    expect(h.add(reading("meter-1", "06:59", 30))).toBeUndefined();
    expect(h.flush().sort()).toEqual([
      "      06:00-07:00 telemetry water-1 readings=1 power_w=1W frequency_hz=50Hz",
      "      07:00-08:00 telemetry meter-1 readings=2 power_w=30W (20..30) frequency_hz=50Hz",
    ]);
    expect(h.flush()).toEqual([]);
  });

  it("names the hour before midnight 23:00-00:00", () => {
    const h = new HourlyTelemetry();
    h.add(reading("meter-1", "23:10", 18));
    expect(h.flush()).toEqual([
      "      23:00-00:00 telemetry meter-1 readings=1 power_w=18W frequency_hz=50Hz",
    ]);
  });
});
