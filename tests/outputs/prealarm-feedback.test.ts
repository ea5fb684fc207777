import { describe, expect, it } from "vitest";
import { detectionSchema } from "../../src/config/schema.js";
import { silentLogger } from "../../src/core/log.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { Gpio, type Outputs, prealarmFeedback, prealarmPrompt } from "../../src/outputs/index.js";
import { detectionOptions } from "../../src/pipeline/options.js";
import { RecordingOutputs } from "../helpers/outputs.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

// Issue 10, points 5 and 6: the pre-alarm's prompts reach the person through the outputs, and the
// pre-alarm is on by default only where someone hears them.
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe("pre-alarm prompts through the outputs", () => {
  it("ask: the question and the prealarm signal; cancelled: the thanks and the signal off; ended: signal off", async () => {
    const fake = new RecordingOutputs();
    await prealarmFeedback("ask", fake);
    expect(fake.calls).toEqual(["say:prealarm_ask", "signal:prealarm"]);
    await prealarmFeedback("cancelled", fake);
    await prealarmFeedback("ended", fake);
    expect(fake.calls.slice(2)).toEqual(["say:prealarm_cancelled", "signal:off", "signal:off"]);
  });

  it("an output that throws or rejects is swallowed", async () => {
    const throwing: Outputs = {
      audible: true,
      say: () => {
        throw new Error("no aplay");
      },
      signal: () => Promise.reject(new Error("no gpioset")),
      prepare: async () => {},
    };
    expect(prealarmFeedback("ask", throwing)).toBeUndefined();
    const rejecting: Outputs = { ...throwing, say: () => Promise.reject(new Error("busy")) };
    await expect(prealarmFeedback("cancelled", rejecting)).resolves.toBeUndefined();
  });

  it("through the pipeline: started → prealarm_ask, 'I am fine' → prealarm_cancelled; spoken follows audible", async () => {
    const fake = new RecordingOutputs();
    const { clock, p, sink } = pipelineRig(
      "2026-03-02T09:00:00+08:00",
      { prealarmWaitMs: 10 * MINUTE_MS },
      { prompt: prealarmPrompt(fake) },
    );
    clock.advanceBy(4 * HOUR_MS);
    // Fire and forget: nothing is said in the same turn as the event is written.
    expect(fake.calls).toEqual([]);
    await nextTurn();
    expect(fake.calls).toEqual(["say:prealarm_ask", "signal:prealarm"]);
    expect(sink.events.find((e) => e.event === "prealarm_started")?.data.spoken).toBe(true);
    p.button({ device: "btn-1", event: "double_press", mono: clock.monotonicMs() });
    await nextTurn();
    expect(fake.said()).toEqual(["prealarm_ask", "prealarm_cancelled"]);
    expect(fake.calls.at(-1)).toBe("signal:off");
  });

  it("unanswered: the signal stops when the alert goes out", async () => {
    const fake = new RecordingOutputs();
    const { clock, sink } = pipelineRig(
      "2026-03-02T09:00:00+08:00",
      { prealarmWaitMs: 10 * MINUTE_MS },
      { prompt: prealarmPrompt(fake) },
    );
    clock.advanceBy(4 * HOUR_MS + 10 * MINUTE_MS);
    await nextTurn();
    expect(sink.states("inactivity")).toEqual(["inactivity:raised"]);
    expect(fake.calls).toEqual(["say:prealarm_ask", "signal:prealarm", "signal:off"]);
  });
});

describe("pre-alarm enable rule", () => {
  const config = (prealarm: Record<string, unknown>) => detectionSchema.parse({ prealarm });

  it("auto: on (the config's wait) only when an audible output is configured", () => {
    expect(detectionOptions(config({}), true).prealarmWaitMs).toBe(10 * MINUTE_MS);
    expect(detectionOptions(config({}), false).prealarmWaitMs).toBe(0);
    expect(detectionOptions(config({})).prealarmWaitMs).toBe(0);
    expect(detectionOptions(config({ wait: "5m" }), true).prealarmWaitMs).toBe(5 * MINUTE_MS);
  });

  it("on and off are what they say; wait 0 is off", () => {
    expect(detectionOptions(config({ enabled: "on" }), false).prealarmWaitMs).toBe(10 * MINUTE_MS);
    expect(detectionOptions(config({ enabled: "off" }), true).prealarmWaitMs).toBe(0);
    expect(detectionOptions(config({ enabled: "on", wait: 0 }), true).prealarmWaitMs).toBe(0);
  });

  it("carries the sleep-window setting, the limits and the check-in", () => {
    const d = detectionOptions(
      detectionSchema.parse({
        prealarm: {
          in_sleep_window: "never",
          limits: { max_silence_day: "3h", routine_alpha: 0.01, min_silence: "1h" },
        },
        checkin: { by: "09:30" },
      }),
    );
    expect(d).toMatchObject({
      prealarmInSleep: "never",
      prealarmMaxSilenceDayMs: 3 * HOUR_MS,
      prealarmRoutineAlpha: 0.01,
      prealarmRoutineMinSilenceMs: HOUR_MS,
      checkinByMin: 9 * 60 + 30,
    });
    const none = detectionOptions(detectionSchema.parse({}));
    expect(none.prealarmInSleep).toBe("lights_on");
    expect(none.checkinByMin).toBeUndefined();
    // The shorter limits while the pre-alarm is on (chosen on the evaluation's meters-only homes).
    expect(none.prealarmMaxSilenceDayMs).toBe(6 * 3_600_000);
    expect(none.prealarmRoutineAlpha).toBe(0.002);
    expect(detectionSchema.safeParse({ prealarm: { enabled: "sometimes" } }).success).toBe(false);
    expect(detectionSchema.safeParse({ checkin: { by: "25:00" } }).success).toBe(false);
  });

  it("a buzzer is heard, an LED alone is not", () => {
    const log = silentLogger();
    expect(new Gpio({ chip: "gpiochip0", buzzerLine: 17, log }).audible).toBe(true);
    expect(new Gpio({ chip: "gpiochip0", ledLine: 27, log }).audible).toBe(false);
  });

  it("the pre-alarm's own limits act only while it is on", () => {
    const run = (wait: number) => {
      const r = pipelineRig("2026-03-02T09:00:00+08:00", {
        prealarmWaitMs: wait,
        prealarmMaxSilenceDayMs: 2 * HOUR_MS,
        degradedAfterMs: 48 * HOUR_MS,
      });
      r.clock.advanceBy(2 * HOUR_MS);
      return r.sink.events.map((e) => e.event).concat(r.sink.states("inactivity"));
    };
    expect(run(10 * MINUTE_MS)).toEqual(["prealarm_started"]);
    expect(run(0)).toEqual([]);
  });
});
