import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { MapStore } from "../../src/replay/engine.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

/** Sensors that stay quiet for hours here would be monitoring_degraded (paused silence) otherwise. */
const QUIET_OK = { degradedAfterMs: 48 * HOUR_MS };

/**
 * Outings seen by an entrance door sensor (src/pipeline/outings.ts), through the Pipeline on the
 * virtual clock. The rig's day limit is 4 h, its sleep window 22:00–07:00; outing defaults are the
 * config's: settle 15 min, max_day 6 h, sleep_grace 1 h.
 */
const outingEvents = (events: readonly { event: string }[]) =>
  events.filter((e) => e.event.startsWith("outing_")).map((e) => e.event);

/** A rig at `start` whose door sensor has reported closed and a tap ran (someone at home). */
function home(start: string, detection = {}) {
  const rig = pipelineRig(start, { ...QUIET_OK, morningDeadlineMin: 10 * 60, ...detection });
  rig.read("door-1", "door", 0);
  rig.read("water-1", "water_total_m3", 10);
  rig.clock.advanceBy(MINUTE_MS);
  rig.read("water-1", "water_total_m3", 10.01);
  return rig;
}

/** Goes out through the door: open, then closed a minute later. */
function goOut(rig: ReturnType<typeof home>) {
  rig.read("door-1", "door", 1);
  rig.clock.advanceBy(MINUTE_MS);
  rig.read("door-1", "door", 0);
}

describe("outings", () => {
  it("the door, then nothing inside for the settle time: outing_started from the door's time", () => {
    const rig = home("2026-03-02T09:00:00+08:00");
    rig.clock.advanceBy(MINUTE_MS);
    goOut(rig); // closed at 09:03
    rig.clock.advanceBy(14 * MINUTE_MS);
    expect(outingEvents(rig.sink.events)).toEqual([]);
    rig.clock.advanceBy(MINUTE_MS);
    const started = rig.sink.events.find((e) => e.event === "outing_started");
    expect(started).toMatchObject({
      device: "door-1",
      data: { door: "door-1", out_since: "2026-03-02T09:03:00.000+08:00" },
    });
  });

  it("silence while out raises no inactivity, even past the day limit and the morning deadline", () => {
    const rig = home("2026-03-02T06:00:00+08:00", { outingMaxDayMs: 24 * HOUR_MS });
    goOut(rig); // 06:02, before the end of the sleep window
    rig.clock.advanceBy(8 * HOUR_MS); // 14:02: 4 h limit and the 10:00 deadline long past
    expect(rig.sink.states("inactivity")).toEqual([]);
    expect(outingEvents(rig.sink.events)).toEqual(["outing_started"]);
  });

  it("back through the door: outing_ended, and the silence restarts then", () => {
    const rig = home("2026-03-02T09:00:00+08:00");
    goOut(rig); // 09:02
    rig.clock.advanceBy(3 * HOUR_MS); // 12:02
    rig.read("door-1", "door", 1);
    rig.clock.advanceBy(MINUTE_MS);
    rig.read("door-1", "door", 0); // the closing of the same passage: not a new leaving
    const ended = rig.sink.events.find((e) => e.event === "outing_ended");
    expect(ended?.data).toMatchObject({ door: "door-1", out_s: 3 * 3600 });
    expect(rig.p.lastActivity()?.source).toBe("door");
    // Home and silent: the 4 h day limit counts from the return (12:03), not from the leaving.
    rig.clock.advanceBy(4 * HOUR_MS - 2 * MINUTE_MS);
    expect(rig.sink.states("inactivity")).toEqual([]);
    rig.clock.advanceBy(3 * MINUTE_MS);
    expect(rig.sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(outingEvents(rig.sink.events)).toEqual(["outing_started", "outing_ended"]);
  });

  it("an outing past max_day raises not_home once (outing_day); the return clears it", () => {
    const rig = home("2026-03-02T09:00:00+08:00");
    goOut(rig); // 09:02
    rig.clock.advanceBy(6 * HOUR_MS - MINUTE_MS);
    expect(rig.sink.states("not_home")).toEqual([]);
    rig.clock.advanceBy(2 * MINUTE_MS);
    expect(rig.sink.states("not_home")).toEqual(["not_home:raised"]);
    const raised = rig.sink.alerts.find((a) => a.kind === "not_home");
    expect(raised?.device).toBe("door-1");
    expect(raised?.evidence).toMatchObject({
      rule: "outing_day",
      out_since: "2026-03-02T09:02:00.000+08:00",
      door: "door-1",
    });
    rig.clock.advanceBy(2 * HOUR_MS); // still out, 17:03: once per outing
    expect(rig.sink.states("not_home")).toEqual(["not_home:raised"]);
    rig.read("door-1", "door", 1);
    expect(rig.sink.states("not_home")).toEqual(["not_home:raised", "not_home:cleared"]);
    expect(rig.sink.alerts.at(-1)?.cause).toBe("activity");
  });

  it("an outing still going sleep_grace after the start of the sleep window: not_home (outing_night)", () => {
    const rig = home("2026-03-02T19:00:00+08:00");
    goOut(rig); // 19:02: 5 h before the day limit would say so
    rig.clock.advanceBy(3 * HOUR_MS + 57 * MINUTE_MS); // 22:59
    expect(rig.sink.states("not_home")).toEqual([]);
    rig.clock.advanceBy(2 * MINUTE_MS); // 23:01
    expect(rig.sink.alerts.filter((a) => a.kind === "not_home").map((a) => a.evidence.rule)).toEqual([
      "outing_night",
    ]);
  });

  it("an outing that starts inside the sleep window raises not_home after sleep_grace of it", () => {
    const rig = home("2026-03-02T23:00:00+08:00", { maxSilenceNightMs: 24 * HOUR_MS });
    goOut(rig); // 23:02
    rig.clock.advanceBy(HOUR_MS - MINUTE_MS); // 00:01
    expect(rig.sink.states("not_home")).toEqual([]);
    rig.clock.advanceBy(2 * MINUTE_MS); // 00:03
    expect(rig.sink.alerts.find((a) => a.kind === "not_home")?.evidence.rule).toBe("outing_night");
  });

  it("the hours out do not teach the routine; hours at home do", () => {
    const rig = home("2026-03-02T09:00:00+08:00", { maxSilenceDayMs: 24 * HOUR_MS });
    goOut(rig); // 09:02
    rig.clock.advanceBy(5 * HOUR_MS); // 14:02: hours 10–13 out
    expect(rig.p.routine.toJSON().hours).toBe(0);
    rig.read("door-1", "door", 1); // back at 14:02
    rig.clock.advanceBy(2 * HOUR_MS); // 16:02: hour 15 seen whole, at home (quiet)
    expect(rig.p.routine.toJSON().hours).toBe(1);
  });

  it("no not_home while the watch is away", () => {
    const rig = home("2026-03-02T09:00:00+08:00");
    rig.p.setWatch("away");
    goOut(rig);
    rig.clock.advanceBy(10 * HOUR_MS);
    expect(rig.sink.states("not_home")).toEqual([]);
    expect(outingEvents(rig.sink.events)).toEqual(["outing_started"]);
  });

  it("the door, then a tap within the settle time: not an outing, the silence counts", () => {
    const rig = home("2026-03-02T09:00:00+08:00");
    goOut(rig); // 09:02
    rig.clock.advanceBy(10 * MINUTE_MS);
    rig.read("water-1", "water_total_m3", 10.02); // 09:12
    rig.clock.advanceBy(4 * HOUR_MS - MINUTE_MS);
    expect(rig.sink.states("inactivity")).toEqual([]);
    rig.clock.advanceBy(2 * MINUTE_MS);
    expect(rig.sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(outingEvents(rig.sink.events)).toEqual([]);
  });

  it("the door, then a load switching off within the settle time: still an outing (machines do that)", () => {
    const rig = home("2026-03-02T09:00:00+08:00");
    rig.read("meter-1", "power_w", 40);
    rig.clock.advanceBy(MINUTE_MS);
    rig.read("meter-1", "power_w", 1540); // the rice cooker, switched on by the person
    goOut(rig); // 09:04
    rig.clock.advanceBy(5 * MINUTE_MS);
    rig.read("meter-1", "power_w", 40); // 09:09: it switches itself off
    expect(rig.p.lastSign()?.detail).toBe("power down 1500 W to 40 W");
    rig.clock.advanceBy(10 * MINUTE_MS);
    expect(outingEvents(rig.sink.events)).toEqual(["outing_started"]);
  });

  it("the door, then a meter step within METER_LAG_MS (use from before leaving, polled late): still an outing", () => {
    const rig = home("2026-03-02T09:00:00+08:00");
    rig.read("meter-1", "power_w", 40);
    goOut(rig); // 09:02 the door closes behind the person
    rig.clock.advanceBy(MINUTE_MS);
    rig.read("water-1", "water_total_m3", 10.02); // 09:03: the flush of just before, on a coarse meter
    rig.clock.advanceBy(2 * MINUTE_MS);
    rig.read("meter-1", "power_w", 1540); // 09:05: the kettle switched on before leaving, polled late
    rig.clock.advanceBy(13 * MINUTE_MS);
    expect(outingEvents(rig.sink.events)).toEqual(["outing_started"]);
  });

  it("a PIR trigger just after the door is someone inside, however soon (only meters lag)", () => {
    const rig = home("2026-03-02T09:00:00+08:00");
    rig.read("pir-1", "motion", 0);
    goOut(rig);
    rig.clock.advanceBy(MINUTE_MS);
    rig.read("pir-1", "motion", 1);
    rig.clock.advanceBy(20 * MINUTE_MS);
    expect(outingEvents(rig.sink.events)).toEqual([]);
  });

  it("the door, then a load switched on within the settle time: someone is home", () => {
    const rig = home("2026-03-02T09:00:00+08:00");
    rig.read("meter-1", "power_w", 40);
    goOut(rig); // 09:03
    rig.clock.advanceBy(5 * MINUTE_MS);
    rig.read("meter-1", "power_w", 1540); // 09:08: the kettle
    rig.clock.advanceBy(20 * MINUTE_MS);
    expect(outingEvents(rig.sink.events)).toEqual([]);
  });

  it("while out, one PIR trigger does not bring the person home; repeated motion does", () => {
    const rig = home("2026-03-02T09:00:00+08:00");
    goOut(rig);
    rig.clock.advanceBy(HOUR_MS);
    rig.read("pir-1", "motion", 0);
    rig.read("pir-1", "motion", 1); // the sun on the PIR
    rig.clock.advanceBy(HOUR_MS);
    expect(outingEvents(rig.sink.events)).toEqual(["outing_started"]);
    for (let i = 0; i < 3; i++) {
      rig.read("pir-1", "motion", 0);
      rig.clock.advanceBy(MINUTE_MS);
      rig.read("pir-1", "motion", 1);
    }
    expect(outingEvents(rig.sink.events)).toEqual(["outing_started", "outing_ended"]);
    expect(rig.sink.events.at(-1)?.data).toMatchObject({ by: { source: "motion", device: "pir-1" } });
  });

  it("with the entrance listed, a fridge door is activity inside: no outing, and it brings the person home", () => {
    const rig = home("2026-03-02T09:00:00+08:00", { outingDoors: ["door-1"] });
    rig.read("fridge-1", "door", 0);
    rig.read("fridge-1", "door", 1); // 09:01 the fridge, then a quiet hour
    rig.read("fridge-1", "door", 0);
    rig.clock.advanceBy(HOUR_MS);
    expect(outingEvents(rig.sink.events)).toEqual([]);
    goOut(rig); // 10:01 the entrance
    rig.clock.advanceBy(HOUR_MS);
    expect(outingEvents(rig.sink.events)).toEqual(["outing_started"]);
    rig.read("fridge-1", "door", 1); // a strong sign inside: back, the entrance unseen
    expect(outingEvents(rig.sink.events)).toEqual(["outing_started", "outing_ended"]);
  });

  it("a restart while out: the door reports before anything inside, so the silence is an outing", () => {
    const store = new MapStore();
    const first = pipelineRig("2026-03-02T09:00:00+08:00", QUIET_OK, { store });
    first.p.stop(); // it ran before: the store holds the routine
    const rig = pipelineRig("2026-03-02T09:00:00+08:00", QUIET_OK, { store });
    rig.clock.advanceBy(5 * MINUTE_MS);
    rig.read("door-1", "door", 0);
    rig.clock.advanceBy(8 * HOUR_MS);
    expect(rig.sink.states("inactivity")).toEqual([]);
    expect(rig.sink.events.find((e) => e.event === "outing_started")?.data).toMatchObject({
      out_since: "2026-03-02T09:00:00.000+08:00",
    });
    expect(rig.sink.states("not_home")).toEqual(["not_home:raised"]);
  });

  it("a restart, then the door's first report is an opening (someone passing): not taken as out", () => {
    const store = new MapStore();
    pipelineRig("2026-03-02T09:00:00+08:00", QUIET_OK, { store }).p.stop();
    const rig = pipelineRig("2026-03-02T09:00:00+08:00", QUIET_OK, { store });
    rig.clock.advanceBy(2 * HOUR_MS);
    rig.read("door-1", "door", 1); // 11:00 the person comes back, the first report since the restart
    rig.clock.advanceBy(5 * MINUTE_MS);
    expect(outingEvents(rig.sink.events)).toEqual([]);
  });

  it("a not_home still open at a restart: the person is out, and their return clears it", () => {
    const rig = pipelineRig("2026-03-02T16:00:00+08:00", QUIET_OK);
    rig.p.stop(); // started again as the agent does after a restart, with the alerts left open
    rig.p.start([
      {
        alert: "a-1",
        kind: "not_home",
        state: "raised",
        device: "door-1",
        since: "2026-03-02T15:00:00+08:00",
      },
    ]);
    rig.clock.advanceBy(5 * HOUR_MS); // 21:00: out, no inactivity and no second not_home
    expect(rig.sink.states()).toEqual([]);
    rig.read("door-1", "door", 0);
    rig.read("door-1", "door", 1);
    expect(rig.sink.states("not_home")).toEqual(["not_home:cleared"]);
    expect(outingEvents(rig.sink.events)).toEqual(["outing_ended"]);
  });

  it("a first start (nothing learned yet) takes the person as home: the silence counts", () => {
    const rig = pipelineRig("2026-03-02T09:00:00+08:00", QUIET_OK);
    rig.clock.advanceBy(5 * MINUTE_MS);
    rig.read("door-1", "door", 0);
    rig.clock.advanceBy(4 * HOUR_MS);
    expect(rig.sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(outingEvents(rig.sink.events)).toEqual([]);
  });

  it("without a door sensor nothing changes: no outing, the day limit as before", () => {
    const rig = pipelineRig("2026-03-02T09:00:00+08:00", QUIET_OK);
    rig.read("water-1", "water_total_m3", 10);
    rig.clock.advanceBy(MINUTE_MS);
    rig.read("water-1", "water_total_m3", 10.01);
    rig.clock.advanceBy(4 * HOUR_MS + MINUTE_MS);
    expect(rig.sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(outingEvents(rig.sink.events)).toEqual([]);
  });
});
