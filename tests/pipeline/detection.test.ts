import { describe, expect, it } from "vitest";
import type { VirtualClock } from "../../src/core/clock.js";
import type { Reading } from "../../src/core/readings.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { MapStore } from "../../src/replay/engine.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

const setup = pipelineRig;

describe("pipeline: leak", () => {
  it("raises a leak after 2 h of unbroken flow, and clears it once the flow pauses", () => {
    const { clock, sink, read } = setup("2026-03-02T08:00:00+08:00", { maxSilenceDayMs: 12 * HOUR_MS });
    let total = 100;
    read("water-1", "water_total_m3", total);
    for (let i = 0; i < 150; i++) {
      clock.advanceBy(MINUTE_MS);
      total += 0.0005;
      read("water-1", "water_total_m3", total);
    }
    expect(sink.states("leak")).toEqual(["leak:raised"]);
    const leak = sink.alerts.find((a) => a.kind === "leak");
    expect(leak?.device).toBe("water-1");
    expect(leak?.evidence.flow_l_per_h).toBeCloseTo(30, 0);
    for (let i = 0; i < 30; i++) {
      clock.advanceBy(MINUTE_MS);
      read("water-1", "water_total_m3", total);
    }
    expect(sink.states("leak")).toEqual(["leak:raised", "leak:cleared"]);
    expect(sink.alerts.at(-1)?.cause).toBe("recovered");
  });
});

describe("pipeline: power cut and missing data", () => {
  it("a power cut is a power_outage alert and its time is not counted as silence", () => {
    const { clock, sink, read } = setup("2026-03-02T09:00:00+08:00", { degradedAfterMs: 24 * HOUR_MS });
    read("meter-1", "voltage_v", 230);
    read("meter-1", "power_w", 30);
    clock.advanceBy(MINUTE_MS);
    read("meter-1", "power_w", 2030); // a kettle at 09:01: activity
    clock.advanceBy(59 * MINUTE_MS);
    read("meter-1", "voltage_v", 0); // 10:00 mains gone
    read("meter-1", "power_w", 0);
    expect(sink.states("power_outage")).toEqual(["power_outage:raised"]);
    clock.advanceBy(3 * HOUR_MS); // 13:00 mains back: fridge and standby restart, not a person
    read("meter-1", "voltage_v", 229);
    read("meter-1", "power_w", 150);
    expect(sink.states("power_outage")).toEqual(["power_outage:raised", "power_outage:cleared"]);
    clock.advanceBy(3 * HOUR_MS - 2 * MINUTE_MS); // 15:58: 6 h 57 min after the kettle, 3 h 57 min counted
    expect(sink.states("inactivity")).toEqual([]);
    clock.advanceBy(4 * MINUTE_MS);
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    const ev = sink.alerts.find((a) => a.kind === "inactivity")?.evidence;
    expect(ev?.counted_s).toBeLessThan(ev?.silence_s as number);
  });

  it("a meter silent for 45 min is monitoring_degraded naming the sense; its next reading clears it", () => {
    const { clock, sink, read } = setup(
      "2026-03-02T09:00:00+08:00",
      {},
      { expectedDevices: ["meter-1", "water-1"] },
    );
    for (let i = 0; i < 50; i++) {
      read("meter-1", "power_w", 30);
      clock.advanceBy(MINUTE_MS);
    }
    const deg = sink.alerts.filter((a) => a.kind === "monitoring_degraded");
    expect(deg.map((a) => [a.device, a.state])).toEqual([["water-1", "raised"]]);
    read("water-1", "water_total_m3", 10);
    expect(sink.states("monitoring_degraded")).toEqual([
      "monitoring_degraded:raised",
      "monitoring_degraded:cleared",
    ]);
    clock.advanceBy(46 * MINUTE_MS);
    // Now the water meter has told us its sense.
    const again = sink.alerts.filter((a) => a.kind === "monitoring_degraded" && a.state === "raised");
    expect(again.map((a) => [a.device, a.evidence.sense])).toEqual([
      ["water-1", "unknown"],
      ["meter-1", "electricity"],
      ["water-1", "water"],
    ]);
  });

  it("a BLE receiver that cannot hear for 45 min is monitoring_degraded (a silent button says nothing); hearing again clears it", () => {
    const { clock, sink, p, read } = setup("2026-03-02T09:00:00+08:00");
    // Deaf for 30 min, then back: no alert (a bluetoothd restart, a dongle re-plugged).
    for (let i = 0; i < 30; i++) {
      p.receiver("ble:hci0", false, "adapter hci0 absent");
      read("meter-1", "power_w", 30);
      clock.advanceBy(MINUTE_MS);
    }
    p.receiver("ble:hci0", true, "scanning");
    clock.advanceBy(20 * MINUTE_MS);
    expect(sink.states("monitoring_degraded")).toEqual([]);
    // Deaf for good: an alert at 45 min naming the receiver and why, once.
    for (let i = 0; i < 90; i++) {
      p.receiver("ble:hci0", false, i < 10 ? "adapter hci0 absent" : "adapter hci0 powered_off");
      read("meter-1", "power_w", 30);
      clock.advanceBy(MINUTE_MS);
    }
    const raised = sink.alerts.filter((a) => a.kind === "monitoring_degraded" && a.state === "raised");
    expect(raised).toHaveLength(1);
    expect(raised[0]?.device).toBe("ble:hci0");
    expect(raised[0]?.evidence).toMatchObject({ sense: "ble_receiver", detail: "adapter hci0 powered_off" });
    expect(raised[0]?.evidence.missing_s).toBeGreaterThanOrEqual(45 * 60);
    expect(raised[0]?.evidence.missing_s).toBeLessThan(47 * 60);
    p.receiver("ble:hci0", true, "scanning");
    expect(sink.states("monitoring_degraded")).toEqual([
      "monitoring_degraded:raised",
      "monitoring_degraded:cleared",
    ]);
  });

  it("the gateway on its battery is a power_outage: silent meters are not degraded and the silence is paused", () => {
    const { clock, sink, p, read } = setup("2026-03-02T09:00:00+08:00");
    read("meter-1", "power_w", 300);
    read("water-1", "water_total_m3", 10);
    p.gatewayPower(true, "AC online");
    clock.advanceBy(30 * MINUTE_MS);
    p.gatewayPower(false, "AC offline");
    const outage = sink.alerts.find((a) => a.kind === "power_outage");
    expect(outage).toMatchObject({ state: "raised", device: "gateway" });
    expect(outage?.evidence).toMatchObject({ source: "gateway power supply", detail: "AC offline" });
    // Five hours without mains: the meter falls silent; water stays (its own battery) and is quiet.
    for (let i = 0; i < 300; i++) {
      p.gatewayPower(false, "AC offline");
      read("water-1", "water_total_m3", 10);
      clock.advanceBy(MINUTE_MS);
    }
    expect(sink.states("power_outage")).toEqual(["power_outage:raised"]);
    expect(sink.alerts.filter((a) => a.kind === "monitoring_degraded")).toEqual([]);
    expect(sink.states("inactivity")).toEqual([]);
    p.gatewayPower(true, "AC online");
    expect(sink.states("power_outage")).toEqual(["power_outage:raised", "power_outage:cleared"]);
    // Mains back but the meter still silent: now that is a missing sense.
    for (let i = 0; i < 2; i++) {
      read("water-1", "water_total_m3", 10);
      clock.advanceBy(MINUTE_MS);
    }
    expect(sink.alerts.filter((a) => a.kind === "monitoring_degraded").map((a) => a.device)).toEqual([
      "meter-1",
    ]);
  });

  it("when every sense is missing the silence is not counted", () => {
    const { clock, sink, read } = setup("2026-03-02T09:00:00+08:00");
    read("meter-1", "power_w", 30);
    read("water-1", "water_total_m3", 10);
    clock.advanceBy(6 * HOUR_MS);
    expect(sink.states("monitoring_degraded")).toEqual([
      "monitoring_degraded:raised",
      "monitoring_degraded:raised",
    ]);
    // 45 min of silence counted before both were degraded: far from 4 h.
    expect(sink.states("inactivity")).toEqual([]);
  });
});

describe("pipeline: energy deltas where there is no power register", () => {
  it("a kettle shows as a step in power taken from the energy total", () => {
    const { clock, p, read } = setup("2026-03-02T09:00:00+08:00");
    let e = 1000;
    for (let i = 0; i < 30; i++) {
      read("meter-1", "energy_total_kwh", Math.round(e * 1000) / 1000);
      clock.advanceBy(MINUTE_MS);
      e += (40 / 1000 / 60) * (i >= 20 ? 50 : 1); // 40 W standby, then 2 kW from minute 20
    }
    expect(p.lastActivity()?.source).toBe("electricity");
    expect(p.lastActivity()?.detail).toMatch(/power up/);
  });
});

describe("pipeline: watch levels", () => {
  it("away: no inactivity alert however long, a call still alerts; until returns to normal", () => {
    const { clock, sink, p } = setup("2026-03-02T09:00:00+08:00");
    const until = Date.parse("2026-03-04T17:00:00+08:00");
    p.setWatch("away", until);
    expect(sink.events.at(-1)).toMatchObject({ event: "watch_level", data: { level: "away" } });
    clock.advanceBy(30 * HOUR_MS);
    expect(sink.states("inactivity")).toEqual([]);
    p.button({ device: "button-1", event: "press", mono: clock.monotonicMs() });
    expect(sink.states("call")).toEqual(["call:raised"]);
    clock.advanceBy(26 * HOUR_MS); // past 17:00 on the 4th
    expect(p.watch().level).toBe("normal");
    expect(sink.events.filter((e) => e.event === "watch_level").map((e) => e.data.level)).toEqual([
      "away",
      "normal",
    ]);
  });

  it("back from away, the silence starts at the return, not when the person left", () => {
    const { clock, sink, p } = setup("2026-03-02T09:00:00+08:00");
    p.setWatch("away");
    clock.advanceBy(5 * HOUR_MS);
    p.setWatch("normal"); // 14:00
    clock.advanceBy(4 * HOUR_MS - 2 * MINUTE_MS);
    expect(sink.states("inactivity")).toEqual([]);
    clock.advanceBy(3 * MINUTE_MS);
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
  });

  it("heightened: the day limit times the factor", () => {
    const { clock, sink, p } = setup("2026-03-02T09:00:00+08:00", { heightenedFactor: 0.5 });
    p.setWatch("heightened");
    clock.advanceBy(2 * HOUR_MS + MINUTE_MS);
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(sink.alerts[0]?.evidence).toMatchObject({ threshold_s: 7200, watch: "heightened" });
  });
});

describe("pipeline: alert lifecycle", () => {
  it("cleared by activity carries the activity that cleared it; no repeats while open", () => {
    const { clock, sink, read } = setup("2026-03-02T09:00:00+08:00");
    // The meter answers every 5 min (a meter that stops answering is not silence).
    for (let m = 0; m < 6 * 60; m += 5) {
      read("water-1", "water_total_m3", 10);
      clock.advanceBy(5 * MINUTE_MS);
    }
    expect(sink.states("inactivity")).toEqual(["inactivity:raised", "inactivity:escalated"]);
    read("water-1", "water_total_m3", 10.003);
    const cleared = sink.alerts.at(-1);
    expect(cleared).toMatchObject({ kind: "inactivity", state: "cleared", cause: "activity" });
    expect(cleared?.evidence.last_activity).toMatchObject({
      source: "water",
      device: "water-1",
      detail: "3 L used",
    });
  });
});

describe("pipeline: daily visit record", () => {
  it("sends a summary at local midnight with first/last activity, hours, water and energy, and alerts", () => {
    const { clock, sink, p, read } = setup("2026-03-02T06:00:00+08:00");
    read("water-1", "water_total_m3", 10);
    read("meter-1", "energy_total_kwh", 500);
    read("meter-1", "power_w", 30);
    clock.advanceBy(HOUR_MS + 30 * MINUTE_MS); // 07:30
    read("water-1", "water_total_m3", 10.012);
    clock.advanceBy(MINUTE_MS);
    read("meter-1", "power_w", 2030);
    p.button({ device: "button-1", event: "press", mono: clock.monotonicMs() });
    clock.advanceBy(12 * HOUR_MS); // 19:31
    read("water-1", "water_total_m3", 10.05);
    read("meter-1", "energy_total_kwh", 503.5);
    clock.advanceBy(5 * HOUR_MS); // past midnight
    expect(sink.summaries).toHaveLength(1);
    const s = sink.summaries[0];
    expect(s?.date).toBe("2026-03-02");
    expect(s?.first_activity).toBe("2026-03-02T07:30:00.000+08:00");
    expect(s?.last_activity).toBe("2026-03-02T19:31:00.000+08:00");
    expect(s?.activity_by_hour[7]).toBe(3);
    expect(s?.activity_by_hour[19]).toBe(1);
    expect(s?.active_hours).toBe(2);
    expect(s?.water_m3).toBeCloseTo(0.05, 6);
    expect(s?.energy_kwh).toBeCloseTo(3.5, 6);
    expect(s?.alerts.map((a) => `${a.kind}:${a.state}`)).toContain("call:escalated");
  });

  it("keeps meter values at home when told to", () => {
    const { clock, sink, read } = setup("2026-03-02T20:00:00+08:00", { summaryMeterValues: false });
    read("water-1", "water_total_m3", 10);
    clock.advanceBy(MINUTE_MS);
    read("water-1", "water_total_m3", 10.01);
    clock.advanceBy(5 * HOUR_MS);
    expect(sink.summaries).toHaveLength(1);
    expect(sink.summaries[0]?.water_m3).toBeUndefined();
    expect(sink.summaries[0]?.energy_kwh).toBeUndefined();
  });
});

describe("pipeline: learned routine", () => {
  /** Days of a regular routine: 5 L of water at half past every hour from 07:30 to 21:30; polled every 5 min. */
  function liveDays(
    clock: VirtualClock,
    read: (d: string, c: Reading["channel"], v: number) => void,
    days: number,
  ) {
    let total = 10;
    for (let d = 0; d < days; d++) {
      for (let m = 0; m < 24 * 60; m++) {
        clock.advanceBy(MINUTE_MS);
        const local = new Date(clock.wallMs() + 8 * HOUR_MS);
        const hh = local.getUTCHours();
        if (hh >= 7 && hh <= 21 && local.getUTCMinutes() === 30) total += 0.005;
        if (local.getUTCMinutes() % 5 === 0) read("water-1", "water_total_m3", total);
      }
    }
    return total;
  }

  it("after 14 days it alerts on a silence that is improbable for this home, well before the rule; rules alone wait", () => {
    for (const routine of [true, false]) {
      const store = new MapStore();
      const { clock, sink, read, p } = setup(
        "2026-03-02T00:00:00+08:00",
        { routine, routineAlpha: 0.001 },
        { store },
      );
      read("water-1", "water_total_m3", 10);
      liveDays(clock, read, 15);
      expect(p.routine.ready()).toBe(true);
      expect(sink.states("inactivity")).toEqual([]);
      // Day 16: up at 07:30, then nothing (the meter still answers every 5 min).
      for (let m = 0; m < 7 * 60 + 30; m += 5) {
        clock.advanceBy(5 * MINUTE_MS);
        read("water-1", "water_total_m3", 10.5);
      }
      read("water-1", "water_total_m3", 11);
      for (let m = 0; m < 4 * 60 + 5; m += 5) {
        clock.advanceBy(5 * MINUTE_MS);
        read("water-1", "water_total_m3", 11);
      }
      const raised = sink.alerts.find((a) => a.kind === "inactivity" && a.state === "raised");
      if (routine) {
        expect(raised?.evidence.rule).toBe("learned_routine");
        // Earlier than the 4 h rule, on the routine's own evidence.
        expect(raised?.evidence.silence_s as number).toBeLessThan(4 * 3600 - 10 * 60);
        expect(raised?.evidence.expected).toMatchObject({ quiet_probability: expect.any(Number) });
        expect(
          (raised?.evidence.expected as { quiet_probability?: number } | undefined)?.quiet_probability,
        ).toBeLessThan(0.001);
        expect(raised?.evidence.expected).toMatchObject({ usual_activity_this_hour: expect.any(Number) });
        // The routine is in the store for the next start.
        expect(store.get("pipeline.routine")).toBeDefined();
      } else {
        expect(raised?.evidence.rule).toBe("max_silence_day");
        expect(raised?.evidence.silence_s).toBe(4 * 3600);
      }
    }
  });

  it("a restarted pipeline takes up the routine from the store", () => {
    const store = new MapStore();
    const first = setup("2026-03-02T00:00:00+08:00", {}, { store });
    first.read("water-1", "water_total_m3", 10);
    liveDays(first.clock, first.read, 15);
    first.p.stop();
    const second = setup("2026-03-17T00:00:00+08:00", {}, { store });
    expect(second.p.routine.ready()).toBe(true);
    expect(second.p.routine.p(24 * 2 + 12)).toBeGreaterThan(0.8);
  });
});

describe("pipeline: lights left on", () => {
  /** 30 W standby; a kettle at 08:00, 11:00, 14:00, 17:00 and 19:00; a 60 W light 18:30–21:45. */
  function evenings(
    clock: VirtualClock,
    read: (d: string, c: Reading["channel"], v: number) => void,
    days: number,
    fallAt?: number,
  ) {
    for (let m = 0; m < days * 1440; m++) {
      clock.advanceBy(MINUTE_MS);
      const local = new Date(clock.wallMs() + 8 * HOUR_MS);
      const min = local.getUTCHours() * 60 + local.getUTCMinutes();
      const fallen = fallAt !== undefined && clock.wallMs() >= fallAt;
      const light = min >= 18 * 60 + 30 && (fallen || min < 21 * 60 + 45) ? 60 : 0;
      const kettleAt = [8, 11, 14, 17, 19].some((h) => min >= h * 60 && min < h * 60 + 3);
      const kettle = !fallen && kettleAt ? 2000 : 0;
      read("meter-1", "power_w", 30 + light + kettle);
    }
  }

  it("a light still on two hours into the night after a silent evening raises inactivity then, not in the morning", () => {
    const { clock, sink, read } = setup("2026-03-02T00:00:00+08:00", { maxSilenceNightMs: 14 * HOUR_MS });
    read("meter-1", "power_w", 30);
    evenings(clock, read, 4);
    expect(sink.states("inactivity")).toEqual([]);
    // Day 5: the kettle at 19:00, then a fall at 19:10; the light stays on.
    evenings(clock, read, 1, Date.parse("2026-03-06T19:10:00+08:00"));
    const raised = sink.alerts.find((a) => a.kind === "inactivity");
    expect(raised?.evidence.rule).toBe("lights_left_on");
    expect(raised?.since).toBe("2026-03-07T00:00:00.000+08:00");
    expect(raised?.evidence.power).toMatchObject({ lights_on_w: 60, usual_night_w: 30 });
  });

  it("with the check turned off, the same night raises nothing before the morning", () => {
    const { clock, sink, read } = setup("2026-03-02T00:00:00+08:00", {
      maxSilenceNightMs: 14 * HOUR_MS,
      lightsOnAfterMin: 0,
    });
    read("meter-1", "power_w", 30);
    evenings(clock, read, 4);
    evenings(clock, read, 1, Date.parse("2026-03-06T19:10:00+08:00"));
    expect(sink.states("inactivity")).toEqual([]);
  });
});

describe("pipeline: BLE sensors", () => {
  it("motion and occupancy count when they turn on, a door whenever it changes; each with its source", () => {
    const { clock, p, read } = setup("2026-03-02T09:00:00+08:00");
    read("pir-1", "motion", 0);
    expect(p.lastActivity()).toBeUndefined();
    // A lone trigger is no proof of a person up (a fallen person twitches): the third in 30 min is.
    for (const n of [1, 2, 3]) {
      clock.advanceBy(MINUTE_MS);
      read("pir-1", "motion", 1);
      if (n < 3) expect(p.lastActivity()).toBeUndefined();
      clock.advanceBy(MINUTE_MS);
      read("pir-1", "motion", 0);
    }
    expect(p.lastActivity()).toMatchObject({ source: "motion", device: "pir-1" });
    expect(p.lastActivity()?.mono).toBe(clock.monotonicMs() - MINUTE_MS);
    // A second sensor within the window is a person walking from room to room.
    clock.advanceBy(MINUTE_MS);
    read("radar-1", "occupancy", 0);
    read("radar-1", "occupancy", 1);
    expect(p.lastActivity()).toMatchObject({ source: "occupancy", device: "radar-1" });
    read("door-1", "door", 0);
    clock.advanceBy(MINUTE_MS);
    read("door-1", "door", 1);
    expect(p.lastActivity()).toMatchObject({ source: "door", strength: 0.9 });
    clock.advanceBy(MINUTE_MS);
    read("door-1", "door", 0);
    expect(p.lastActivity()?.mono).toBe(clock.monotonicMs());
  });
});
