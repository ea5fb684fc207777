import type { Logger } from "../core/log.js";
import type { ActivityExtractor } from "./activity.js";
import { DETECTION_DEFAULTS } from "./options.js";
import type { ModelStore } from "./ports.js";
import type { PowerModelState } from "./power.js";
import { Routine, type RoutineState } from "./routine.js";
import type { UsualStillnessSnapshot, UsualStillnessVerdict } from "./usual-stillness-verdict.js";

/**
 * Where the learned models live in a `ModelStore` (the outbox's kv table in the agent), and how they
 * are read and written: the routine under one key, each meter's standby and machine model under its
 * device's. Values are JSON text. The pipeline and `hearth routine` both go through here.
 */
export const ROUTINE_KEY = "pipeline.routine";
const STILLNESS_KEY = "pipeline.usual_stillness";
const powerKey = (device: string) => `pipeline.power.${device}`;

/**
 * Restores the routine and the power models of `devices` from the store. An unreadable value is
 * logged and learned again rather than stopping the agent.
 */
export function loadModels(
  store: ModelStore,
  routine: Routine,
  activity: ActivityExtractor,
  devices: readonly string[],
  log: Logger,
  stillness?: UsualStillnessVerdict,
): void {
  const r = store.get(ROUTINE_KEY);
  if (r) {
    try {
      routine.restore(JSON.parse(r) as RoutineState);
    } catch (e) {
      log.warn({ err: e }, "Learned routine in the store is unreadable; learning again");
    }
  }
  const s = stillness ? store.get(STILLNESS_KEY) : undefined;
  if (s) {
    try {
      stillness?.restore(JSON.parse(s) as UsualStillnessSnapshot);
    } catch (e) {
      log.warn({ err: e }, "Learned usual stillness in the store is unreadable; learning again");
    }
  }
  for (const device of devices) {
    const p = store.get(powerKey(device));
    if (!p) continue;
    try {
      activity.restorePower(device, JSON.parse(p) as PowerModelState);
    } catch (e) {
      log.warn({ err: e, device }, `Learned power model of '${device}' is unreadable; learning again`);
    }
  }
}

/** Writes the routine and every power model learned so far. */
export function saveModels(
  store: ModelStore,
  routine: Routine,
  activity: ActivityExtractor,
  stillness?: UsualStillnessVerdict,
): void {
  store.set(ROUTINE_KEY, JSON.stringify(routine.toJSON()));
  if (stillness) store.set(STILLNESS_KEY, JSON.stringify(stillness.toJSON()));
  for (const [d, m] of activity.powerModels()) store.set(powerKey(d), JSON.stringify(m.toJSON()));
}

/**
 * The routine an agent learned, read from its store (for `hearth routine`); undefined when nothing
 * has been learned yet. `learningDays` decides whether the chart says it is still learning.
 */
export function storedRoutine(
  store: ModelStore,
  o: { learningDays?: number; routineSlowWeeks?: number } = {},
): Routine | undefined {
  const text = store.get(ROUTINE_KEY);
  if (text === undefined) return undefined;
  const r = new Routine({
    learningDays: o.learningDays ?? DETECTION_DEFAULTS.learningDays,
    slowWeeks: o.routineSlowWeeks ?? DETECTION_DEFAULTS.routineSlowWeeks,
  });
  r.restore(JSON.parse(text) as RoutineState);
  return r;
}
