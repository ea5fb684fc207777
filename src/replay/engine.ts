import type { Envelope, WatchLevel } from "../contract/messages.js";
import type { ButtonEvent } from "../core/channels.js";
import { VirtualClock } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import { type IdSource, SeededIds } from "../core/ids.js";
import { type Logger, silentLogger } from "../core/log.js";
import type { Reading } from "../core/readings.js";
import type { DetectionOptions } from "../pipeline/options.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { ModelStore, PrealarmPrompt } from "../pipeline/ports.js";
import type { ButtonAction } from "../profiles/bthome.js";
import type { HeardEvery } from "../profiles/common.js";
import type { ReplayRecord } from "./input.js";
import { EnvelopeSink } from "./sink.js";

export interface ReplayEngineOptions {
  home: string;
  timeZone: string;
  detection: DetectionOptions;
  waterResolutionM3?: number;
  /** Telemetry envelopes too (default: alerts, events and summaries only). */
  telemetry?: boolean;
  telemetryIntervalMs?: number;
  emit: (env: Envelope) => void;
  /** What a button event means; default: press calls, double press is "I am fine". */
  buttonAction?: (device: string, event: string) => ButtonAction | undefined;
  expectedDevices?: readonly string[];
  /** Per device, how often it is heard when well (the config's and profiles' `heard_every`). */
  heardEvery?: ReadonlyMap<string, HeardEvery>;
  /** Watch level at the start (config). */
  watch?: WatchLevel;
  /** Learned models, in and out (a Map by default). */
  store?: ModelStore;
  /** Hears the pre-alarm's prompts (the simulated resident); absent: nobody does. */
  prompt?: PrealarmPrompt;
  /** Ids are derived from this seed (default "replay/<home>"): the same input gives the same ids. */
  idSeed?: string;
  log?: Logger;
}

/** Without a config: the usual meaning of a call button's events. */
export function defaultButtonAction(_device: string, event: string): ButtonAction | undefined {
  if (event === "press" || event === "long_press") return "call";
  if (event === "double_press") return "i_am_fine";
  return undefined;
}

/** A Map as a model store, for replay and tests. */
export class MapStore implements ModelStore {
  readonly map = new Map<string, string>();
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  set(key: string, value: string): void {
    this.map.set(key, value);
  }
}

/**
 * The real pipeline on a virtual clock driven by the input's times: before each record the clock is
 * moved to its time, firing every timer due on the way (the minute tick that decides silences), just
 * as time passes live. Records must come in time order; `push` refuses one that does not.
 */
export class ReplayEngine {
  readonly #o: ReplayEngineOptions;
  readonly store: ModelStore;
  #clock: VirtualClock | undefined;
  #pipeline: Pipeline | undefined;
  #t0 = 0;
  #lastMs = Number.NEGATIVE_INFINITY;
  /** Reused for every reading: the per-reading path allocates nothing of its own. */
  readonly #reading: Reading = { device: "", channel: "power_w", value: 0, mono: 0 };
  readonly #batch: Reading[] = [this.#reading];

  constructor(o: ReplayEngineOptions) {
    this.#o = o;
    this.store = o.store ?? new MapStore();
  }

  get pipeline(): Pipeline | undefined {
    return this.#pipeline;
  }

  /** Time of the last record (epoch ms). */
  get lastMs(): number {
    return this.#lastMs;
  }

  /** Feeds one record; returns why it was skipped, or undefined. */
  push(rec: ReplayRecord): string | undefined {
    if (rec.ms < this.#lastMs)
      return `out of order: ${new Date(rec.ms).toISOString()} is before the previous line's ${new Date(this.#lastMs).toISOString()}`;
    const p = this.#start(rec.ms);
    const clock = this.#clock as VirtualClock;
    const mono = rec.ms - this.#t0;
    clock.advanceTo(mono);
    this.#lastMs = rec.ms;
    switch (rec.kind) {
      case "reading": {
        const r = this.#reading;
        r.device = rec.device;
        r.channel = rec.channel;
        r.value = rec.value;
        r.mono = mono;
        p.readings(this.#batch);
        return undefined;
      }
      case "button":
        p.button({ device: rec.device, event: rec.event as ButtonEvent, mono });
        return undefined;
      case "watch":
        p.setWatch(rec.level, rec.untilMs);
        return undefined;
      case "ack":
        try {
          p.acknowledge(rec.alert, rec.by);
          return undefined;
        } catch (e) {
          return `ack refused: ${errorMessage(e)}`;
        }
      default:
        return undefined;
    }
  }

  /** Lets the virtual clock run on to `untilMs` (default: the last record's time), then stops. */
  finish(untilMs?: number): void {
    if (this.#clock && this.#pipeline) {
      const end = Math.max(untilMs ?? this.#lastMs, this.#lastMs);
      this.#clock.advanceTo(end - this.#t0);
      this.#pipeline.stop();
    }
  }

  #start(ms: number): Pipeline {
    if (this.#pipeline) return this.#pipeline;
    const o = this.#o;
    this.#t0 = ms;
    const clock = new VirtualClock({ wallStartMs: ms, monotonicStartMs: 0 });
    const ids: IdSource = new SeededIds(o.idSeed ?? `replay/${o.home}`);
    const sink = new EnvelopeSink({
      home: o.home,
      timeZone: o.timeZone,
      clock,
      ids,
      emit: o.emit,
      telemetry: o.telemetry ?? false,
    });
    const p = new Pipeline({
      home: o.home,
      timeZone: o.timeZone,
      clock,
      ids,
      sink,
      log: o.log ?? silentLogger(),
      detection: o.detection,
      buttonAction: o.buttonAction ?? defaultButtonAction,
      telemetry: o.telemetry ?? false,
      telemetryIntervalMs: o.telemetryIntervalMs ?? 0,
      store: this.store,
      ...(o.waterResolutionM3 !== undefined ? { waterResolutionM3: o.waterResolutionM3 } : {}),
      ...(o.expectedDevices ? { expectedDevices: o.expectedDevices } : {}),
      ...(o.heardEvery ? { heardEvery: o.heardEvery } : {}),
      ...(o.watch ? { watch: o.watch } : {}),
      ...(o.prompt ? { prompt: o.prompt } : {}),
    });
    this.#clock = clock;
    this.#pipeline = p;
    p.start();
    return p;
  }
}
