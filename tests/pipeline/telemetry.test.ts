import { describe, expect, it } from "vitest";
import type { TelemetryBody } from "../../src/contract/messages.js";
import type { Reading } from "../../src/core/readings.js";
import { MINUTE_MS } from "../../src/core/time.js";
import { sendTelemetry, TelemetryThrottle } from "../../src/pipeline/telemetry.js";

describe("telemetry throttle", () => {
  it("lets one message per device through per interval, measured from the last one let through", () => {
    const t = new TelemetryThrottle(5 * MINUTE_MS);
    expect(t.pass("meter-1", 0)).toBe(true);
    expect(t.pass("meter-1", 5 * MINUTE_MS - 1)).toBe(false);
    // Another device has its own interval.
    expect(t.pass("water-1", MINUTE_MS)).toBe(true);
    expect(t.pass("meter-1", 5 * MINUTE_MS)).toBe(true);
    // A refused message does not move the interval on.
    expect(t.pass("meter-1", 9 * MINUTE_MS)).toBe(false);
    expect(t.pass("meter-1", 10 * MINUTE_MS)).toBe(true);
  });

  it("with interval 0 lets every message through", () => {
    const t = new TelemetryThrottle(0);
    expect([0, 0, 1].map((ms) => t.pass("meter-1", ms))).toEqual([true, true, true]);
  });
});

describe("telemetry messages", () => {
  const r = (device: string, channel: Reading["channel"], value: number): Reading => ({
    device,
    channel,
    value,
    mono: 0,
  });

  it("one message per device of a batch, values in batch order with units, throttled devices left out", () => {
    const t = new TelemetryThrottle(MINUTE_MS);
    t.pass("water-1", 0);
    const out: TelemetryBody[] = [];
    const batch = [
      r("meter-1", "power_w", 12),
      r("water-1", "water_total_m3", 10.5),
      r("meter-1", "energy_total_kwh", 100.5),
    ];
    sendTelemetry(batch, "2026-03-02T09:00:00.000+08:00", t, 1, (b) => out.push(b));
    expect(out).toEqual([
      {
        device: "meter-1",
        at: "2026-03-02T09:00:00.000+08:00",
        values: [
          { channel: "power_w", value: 12, unit: "W" },
          { channel: "energy_total_kwh", value: 100.5, unit: "kWh" },
        ],
      },
    ]);
  });
});
