import { describe, expect, it } from "vitest";
import type { VirtualClock } from "../../src/core/clock.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { EnergyPower } from "../../src/pipeline/energy-power.js";
import type { DetectionOptions } from "../../src/pipeline/options.js";
import type { PrealarmPrompt } from "../../src/pipeline/ports.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

// Lights left on, seen from a meter that has only an energy register (0.01 kWh), with the pre-alarm.

describe("EnergyPower: mean power from an energy register", () => {
  it("gives the mean over the last hour once the readings cover it", () => {
    const e = new EnergyPower();
    let kwh = 100;
    const out: (number | undefined)[] = [];
    for (let m = 0; m <= 90; m++) {
      out.push(e.energy("meter-1", m * MINUTE_MS, Math.floor(kwh * 100) / 100));
      kwh += 0.06 / 60; // 60 W
    }
    expect(out.slice(0, 60).every((w) => w === undefined)).toBe(true);
    // 0.01 kWh quanta over an hour: within 10 W of the true 60 W.
    for (const w of out.slice(60)) expect(Math.abs((w as number) - 60)).toBeLessThanOrEqual(10);
  });

  it("starts again after a gap or a register that went back, and ignores a meter that reports power", () => {
    const e = new EnergyPower();
    for (let m = 0; m <= 60; m++) e.energy("m", m * MINUTE_MS, 100 + m * 0.001);
    expect(e.energy("m", 61 * MINUTE_MS, 100.061)).toBeCloseTo(60, 0);
    expect(e.energy("m", 100 * MINUTE_MS, 100.1)).toBeUndefined(); // a 39-minute gap
    expect(e.energy("m", 101 * MINUTE_MS, 5)).toBeUndefined(); // replaced meter
    e.powerSeen("m");
    for (let m = 102; m < 200; m++) expect(e.energy("m", m * MINUTE_MS, 5 + m * 0.001)).toBeUndefined();
  });
});

class QuietPrompt implements PrealarmPrompt {
  readonly audible = true;
  ask(): void {}
  cancelled(): void {}
  ended(): void {}
}

/**
 * 30 W standby; a kettle at 08:00, 11:00, 14:00, 17:00 and 19:00; a 60 W light 18:30–21:45; read as
 * an energy total only (0.01 kWh steps), every minute. After `fallAt` the light stays on.
 */
function evenings(
  clock: VirtualClock,
  read: (kwh: number) => void,
  state: { kwh: number },
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
    state.kwh += (30 + light + kettle) / 60 / 1000;
    read(Math.floor(state.kwh * 100) / 100);
  }
}

function home(detection: Partial<DetectionOptions>) {
  const r = pipelineRig(
    "2026-03-02T00:00:00+08:00",
    { maxSilenceNightMs: 14 * HOUR_MS, degradedAfterMs: 30 * DAY_MS, ...detection },
    { prompt: new QuietPrompt() },
  );
  const state = { kwh: 100 };
  const read = (kwh: number) => r.read("meter-1", "energy_total_kwh", kwh);
  return { ...r, state, read };
}

describe("pipeline: lights left on from an energy register", () => {
  it("with the pre-alarm on, a light left on after a silent evening is asked about two hours into the night", () => {
    const { clock, sink, read, state } = home({ prealarmWaitMs: 10 * MINUTE_MS });
    evenings(clock, read, state, 4);
    expect(sink.events.filter((e) => e.event === "prealarm_started")).toEqual([]);
    // Day 5: the kettle at 19:00, then a fall at 19:10; the light stays on (until 01:12 here).
    evenings(clock, read, state, 1.05, Date.parse("2026-03-06T19:10:00+08:00"));
    const started = sink.events.find((e) => e.event === "prealarm_started");
    expect(started?.data.rule).toBe("lights_left_on");
    expect(started?.data.spoken).toBe(true);
    const raised = sink.alerts.find((a) => a.kind === "inactivity" && a.state === "raised");
    expect(raised?.evidence.rule).toBe("lights_left_on");
    // Unanswered: the alert after the wait, with the pre-alarm in its evidence.
    expect(raised?.since).toBe("2026-03-07T00:10:00.000+08:00");
    expect(raised?.evidence.prealarm).toMatchObject({ started: "2026-03-07T00:00:00.000+08:00" });
    const power = raised?.evidence.power as { lights_on_w: number; usual_night_w: number };
    expect(Math.abs(power.lights_on_w - 60)).toBeLessThanOrEqual(10);
    expect(Math.abs(power.usual_night_w - 30)).toBeLessThanOrEqual(10);
  });

  it("the same evenings without the fall ask nothing", () => {
    const { clock, sink, read, state } = home({ prealarmWaitMs: 10 * MINUTE_MS });
    evenings(clock, read, state, 6);
    expect(sink.events.filter((e) => e.event === "prealarm_started")).toEqual([]);
    expect(sink.states("inactivity")).toEqual([]);
  });

  it("with the pre-alarm off the energy register is not read for lights (detection as before)", () => {
    const { clock, sink, read, state } = home({});
    evenings(clock, read, state, 4);
    evenings(clock, read, state, 1, Date.parse("2026-03-06T19:10:00+08:00"));
    expect(sink.alerts.filter((a) => a.evidence.rule === "lights_left_on")).toEqual([]);
  });
});
