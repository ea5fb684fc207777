import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import type { Reading } from "../../src/core/readings.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { AlertManager } from "../../src/pipeline/alerts.js";
import type { DetectionOptions, PipelineOptions } from "../../src/pipeline/options.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import type { MessageSink } from "../../src/pipeline/ports.js";
import { RecordingSink } from "./message-sink.js";

/**
 * A started Pipeline on a virtual clock at `startLocal`, writing to a RecordingSink: sleep window
 * 22:00–07:00, day limit 4 h, night 12 h, escalation after 1 h, cold power step 150 W; `press` calls,
 * `double_press` is "I am fine". `detection` and `extra` override any of it; `extra.unsynced` starts
 * the wall clock unsynced (a gateway before NTP), `extra.sink` makes another sink on the rig's clock.
 */
export function pipelineRig<S extends MessageSink = RecordingSink>(
  startLocal: string,
  detection: Partial<DetectionOptions> = {},
  {
    unsynced = false,
    sink: makeSink,
    ...extra
  }: Partial<
    Pick<
      PipelineOptions,
      "store" | "expectedDevices" | "telemetry" | "prompt" | "downgrade" | "health" | "heardEvery"
    >
  > & {
    unsynced?: boolean;
    sink?: (clock: VirtualClock) => S;
  } = {},
) {
  const clock = new VirtualClock({ wallStartMs: Date.parse(startLocal), synced: !unsynced });
  // Without a factory S is its default, RecordingSink.
  const sink = makeSink ? makeSink(clock) : (new RecordingSink() as unknown as S);
  const p = new Pipeline({
    home: "h1",
    timeZone: "Asia/Shanghai",
    clock,
    ids: new SeededIds("t"),
    sink,
    log: silentLogger(),
    detection: {
      sleepStartMin: 22 * 60,
      sleepEndMin: 7 * 60,
      maxSilenceDayMs: 4 * HOUR_MS,
      maxSilenceNightMs: 12 * HOUR_MS,
      escalateAfterMs: 1 * HOUR_MS,
      powerStepW: 150,
      ...detection,
    },
    buttonAction: (_d, e) => (e === "press" ? "call" : e === "double_press" ? "i_am_fine" : undefined),
    telemetry: false,
    ...extra,
  });
  p.start();
  const read = (device: string, channel: Reading["channel"], value: number) =>
    p.readings([{ device, channel, value, mono: clock.monotonicMs() }]);
  return { clock, sink, p, read };
}

/**
 * An AlertManager writing to a RecordingSink on a virtual clock at Monday 2026-03-02 09:00 in
 * Asia/Shanghai, for tests of the pipeline's parts that raise and clear alerts.
 */
export function alertRig(idPrefix: string) {
  const clock = new VirtualClock({ wallStartMs: Date.parse("2026-03-02T09:00:00+08:00") });
  const sink = new RecordingSink();
  const alerts = new AlertManager({
    sink,
    clock,
    ids: new SeededIds(idPrefix),
    timeZone: "Asia/Shanghai",
    log: silentLogger(),
  });
  return { clock, sink, alerts };
}

/**
 * A home of a water meter and a PIR on a pipelineRig (Asia/Shanghai, UTC+8): `tap` runs 5 L, `pir` is
 * one trigger, `localMin` the local minute of the day. Both devices have reported once.
 */
export function meterAndPirHome(r: Pick<ReturnType<typeof pipelineRig>, "read" | "clock">) {
  r.read("water-1", "water_total_m3", 100);
  r.read("pir-1", "motion", 0);
  let water = 100;
  return {
    tap: () => {
      water += 0.005;
      r.read("water-1", "water_total_m3", water);
    },
    pir: () => {
      r.read("pir-1", "motion", 1);
      r.read("pir-1", "motion", 0);
    },
    localMin: () => Math.floor(((r.clock.wallMs() + 8 * HOUR_MS) % DAY_MS) / MINUTE_MS),
  };
}
