import { describe, expect, it } from "vitest";
import { detectionSchema } from "../../src/config/schema.js";
import { DAY_MS } from "../../src/core/time.js";
import { ActivityExtractor } from "../../src/pipeline/activity.js";
import { loadModels, ROUTINE_KEY, saveModels, storedRoutine } from "../../src/pipeline/learned-models.js";
import { DETECTION_DEFAULTS, detectionOptions, resolveDetection } from "../../src/pipeline/options.js";
import { Routine } from "../../src/pipeline/routine.js";
import { MapStore } from "../../src/replay/engine.js";
import { captureLog } from "../helpers/log-capture.js";

const extractor = () =>
  new ActivityExtractor(
    {
      powerStepW: 150,
      minStepW: 25,
      powerLearnMs: 1000,
      waterResolutionM3: 0.001,
      leakAfterMs: 1000,
      leakGapMs: 1000,
      outageVoltageV: 100,
      energyWindowMs: 1000,
    },
    { leakStarted() {}, leakEnded() {}, outageStarted() {}, outageEnded() {} },
  );

describe("learned models in the store", () => {
  it("saves the routine and each meter's power model under their keys, and loads them back", () => {
    const store = new MapStore();
    const routine = new Routine({ learningDays: 1, slowWeeks: 8 });
    for (let h = 0; h < 48; h++) routine.observe(h % 168, h % 24 >= 7);
    const act = extractor();
    act.fromReading({ device: "meter-1", channel: "power_w", value: 30, mono: 0 }, 0, false);
    saveModels(store, routine, act);
    expect([...store.map.keys()]).toEqual([ROUTINE_KEY, "pipeline.power.meter-1"]);

    const again = new Routine({ learningDays: 1, slowWeeks: 8 });
    const act2 = extractor();
    loadModels(store, again, act2, ["meter-1"], captureLog().log);
    expect(again.toJSON()).toEqual(routine.toJSON());
    act2.fromReading({ device: "meter-1", channel: "power_w", value: 30, mono: 0 }, 0, false);
    expect(act2.powerModels().get("meter-1")?.toJSON()).toEqual(act.powerModels().get("meter-1")?.toJSON());
  });

  it("an unreadable value is logged and learned again, not thrown", () => {
    const store = new MapStore();
    store.set(ROUTINE_KEY, "{not json");
    store.set("pipeline.power.meter-1", "[");
    const { log, lines } = captureLog();
    const routine = new Routine({ learningDays: 1, slowWeeks: 8 });
    loadModels(store, routine, extractor(), ["meter-1"], log);
    expect(routine.days()).toBe(0);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, "Learned routine in the store is unreadable; learning again"],
      [40, "Learned power model of 'meter-1' is unreadable; learning again"],
    ]);
  });

  it("`hearth routine` reads the routine the pipeline saved; nothing saved is undefined", () => {
    const store = new MapStore();
    expect(storedRoutine(store)).toBeUndefined();
    const routine = new Routine({ learningDays: 1, slowWeeks: 8 });
    for (let h = 0; h < 24 * 3; h++) routine.observe(h % 168, true);
    saveModels(store, routine, extractor());
    const read = storedRoutine(store) as Routine;
    expect(read.toJSON()).toEqual(routine.toJSON());
    // Without a config, the config's default learning period decides whether it is ready.
    expect(read.ready()).toBe(false);
    expect(storedRoutine(store, { learningDays: 3 })?.ready()).toBe(true);
  });
});

describe("detection defaults", () => {
  it("are the config schema's: one table", () => {
    const fromConfig = detectionOptions(detectionSchema.parse({}));
    // The pre-alarm's shorter limits are overrides: the config fills them in, a pipeline built
    // without a config keeps the usual limits while the pre-alarm is on.
    const {
      windows: _w,
      morningDeadlineMin: _m,
      prealarmMaxSilenceDayMs: pd,
      prealarmRoutineAlpha: pa,
      prealarmUsualStillness: pu,
      ...rest
    } = fromConfig;
    expect([pd, pa]).toEqual([6 * 3_600_000, 0.002]);
    // `usual_stillness: auto` without a motion sensor: off.
    expect(pu).toBe(false);
    expect(detectionOptions(detectionSchema.parse({}), true, true).prealarmUsualStillness).toBe(true);
    expect(DETECTION_DEFAULTS).toEqual({ ...rest, powerLearnMs: DAY_MS });
    expect(DETECTION_DEFAULTS.learningDays).toBe(14);
  });

  it("fill only what the caller left undefined; no time windows and no morning deadline unless given", () => {
    const d = resolveDetection({
      sleepStartMin: 0,
      sleepEndMin: 1,
      maxSilenceDayMs: 2,
      maxSilenceNightMs: 3,
      escalateAfterMs: 4,
      powerStepW: 5,
      minStepW: 6,
      degradedAfterMs: undefined,
    });
    expect(d).toMatchObject({ sleepStartMin: 0, powerStepW: 5, minStepW: 6 });
    expect(d.degradedAfterMs).toBe(DETECTION_DEFAULTS.degradedAfterMs);
    expect(d.morningDeadlineMin).toBeUndefined();
    expect(d.windows).toBeUndefined();
  });
});
