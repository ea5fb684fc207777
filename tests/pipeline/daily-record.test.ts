import { describe, expect, it } from "vitest";
import { HOUR_MS } from "../../src/core/time.js";
import { DailyRecord } from "../../src/pipeline/daily-record.js";
import { DeviceRegistry } from "../../src/pipeline/device-registry.js";
import { LocalClock } from "../../src/pipeline/local-time.js";

const TZ = "Asia/Shanghai";
const lc = new LocalClock(TZ);
const DAY0 = Date.parse("2026-03-02T00:00:00+08:00");

describe("daily record", () => {
  it("counts the day's activity by hour, first and last, and leaves out activity of another day", () => {
    const rec = new DailyRecord(TZ);
    rec.setDay(lc.at(DAY0).day);
    for (const t of [DAY0 - HOUR_MS, DAY0 + 7.5 * HOUR_MS, DAY0 + 7.75 * HOUR_MS, DAY0 + 19 * HOUR_MS])
      rec.activity(t, lc.at(t));
    const s = rec.summary({ waterM3: 0.0504, energyKwh: undefined }, true);
    expect(s.date).toBe("2026-03-02");
    expect(s.first_activity).toBe("2026-03-02T07:30:00.000+08:00");
    expect(s.last_activity).toBe("2026-03-02T19:00:00.000+08:00");
    expect(s.active_hours).toBe(2);
    expect(s.activity_by_hour[7]).toBe(2);
    expect(s.water_m3).toBe(0.05);
    expect("energy_kwh" in s).toBe(false);
    expect("water_m3" in rec.summary({ waterM3: 1, energyKwh: 2 }, false)).toBe(false);
  });

  it("lists each alert touched in its latest state; after clearing, only the alerts still open carry over", () => {
    const rec = new DailyRecord(TZ);
    rec.setDay(lc.at(DAY0).day);
    rec.alert({ alert: "a1", kind: "call", state: "raised", since: "x", evidence: {} });
    rec.alert({ alert: "a2", kind: "leak", state: "raised", since: "x", evidence: {} });
    rec.alert({ alert: "a1", kind: "call", state: "acknowledged", since: "x", evidence: {} });
    expect(rec.summary({ waterM3: undefined, energyKwh: undefined }, true).alerts).toEqual([
      { alert: "a1", kind: "call", state: "acknowledged" },
      { alert: "a2", kind: "leak", state: "raised" },
    ]);
    rec.clear([{ alert: "a2", kind: "leak", state: "raised", since: "x", changedMono: 0 }]);
    rec.setDay(rec.day + 1);
    const next = rec.summary({ waterM3: undefined, energyKwh: undefined }, true);
    expect(next.date).toBe("2026-03-03");
    expect(next.alerts).toEqual([{ alert: "a2", kind: "leak", state: "raised" }]);
    expect(next.first_activity).toBeNull();
    expect(next.active_hours).toBe(0);
  });
});

describe("device registry: the day's meter use", () => {
  it("sums the rise of every meter's total since the last call; none without meters", () => {
    const reg = new DeviceRegistry();
    expect(reg.takeDayUse()).toEqual({ waterM3: undefined, energyKwh: undefined });
    const rd = (device: string, channel: "water_total_m3" | "energy_total_kwh", value: number) =>
      reg.record({ device, channel, value, mono: 0 }, 0);
    rd("water-1", "water_total_m3", 10);
    rd("water-2", "water_total_m3", 5);
    rd("meter-1", "energy_total_kwh", 500);
    rd("water-1", "water_total_m3", 10.25);
    rd("water-2", "water_total_m3", 5.5);
    rd("meter-1", "energy_total_kwh", 503.5);
    expect(reg.takeDayUse()).toEqual({ waterM3: 0.75, energyKwh: 3.5 });
    rd("water-1", "water_total_m3", 10.5);
    expect(reg.takeDayUse()).toEqual({ waterM3: 0.25, energyKwh: 0 });
  });

  it("snapshots the last value of each channel with its unit, and availability", () => {
    const reg = new DeviceRegistry();
    reg.record({ device: "meter-1", channel: "power_w", value: 30, mono: 5 }, DAY0);
    expect(reg.setAvailability("meter-1", "online")).toBe(true);
    expect(reg.setAvailability("meter-1", "online")).toBe(false);
    expect(reg.get("meter-1").sense).toBe("electricity");
    expect(reg.snapshots(TZ)).toEqual({
      "meter-1": {
        availability: "online",
        last: { power_w: { value: 30, unit: "W", at: "2026-03-02T00:00:00.000+08:00" } },
      },
    });
  });
});
