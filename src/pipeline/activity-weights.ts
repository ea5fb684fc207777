import { MINUTE_MS } from "../core/time.js";

/**
 * What each sense's activity is worth, as data: how sure one event makes us that it was a person
 * (`strength`, carried in an alert's `last_activity` evidence), and which class it belongs to for the
 * question a pre-alarm asks: "does this show that someone is up?".
 *
 * - `strong`: one event shows a person on their feet: a button, a tap running, the door.
 * - `medium`: a person is likely, but a machine can do it too (a power step the learned standby band
 *   and machine cycles did not explain: a timer, a thermostat).
 * - `motion`: a PIR trigger or a presence sensor turning on. Evidence someone moved, but a person who
 *   has fallen still moves a little and a PIR sees it; only repeated motion shows someone is up.
 *
 * Every class still counts as activity for the silence rules and the routine (it is evidence of life);
 * the class only matters where a weak sign must not cancel something, as a pre-alarm must not be
 * cancelled by the twitch of a person on the floor.
 */
export type ActivityClass = "strong" | "medium" | "motion";

export interface SenseWeight {
  readonly class: ActivityClass;
  /** How sure one event makes us that it was a person (0–1). */
  readonly strength: number;
}

/** By activity source (Activity.source). A source not listed is `medium` at 0.5. */
export const SENSE_WEIGHTS: Readonly<Record<string, SenseWeight>> = {
  button: { class: "strong", strength: 1 },
  water: { class: "strong", strength: 0.9 },
  door: { class: "strong", strength: 0.9 },
  electricity: { class: "medium", strength: 0.6 },
  motion: { class: "motion", strength: 0.8 },
  occupancy: { class: "motion", strength: 0.8 },
};

const UNLISTED: SenseWeight = { class: "medium", strength: 0.5 };

/**
 * A power step's strength by its size and sign: a big load switched on (kettle, cooker) is more
 * likely a person than a small one, and a load switched off is the least sure.
 */
export const POWER_STEP_STRENGTH = { bigStepW: 500, bigUp: 0.8, up: 0.6, down: 0.5 } as const;

export function weightOf(source: string): SenseWeight {
  return Object.hasOwn(SENSE_WEIGHTS, source) ? (SENSE_WEIGHTS[source] as SenseWeight) : UNLISTED;
}

/** The strength of a power step of `stepW` (negative: a load switched off). */
export function powerStepStrength(stepW: number): number {
  const s = POWER_STEP_STRENGTH;
  return stepW >= s.bigStepW ? s.bigUp : stepW > 0 ? s.up : s.down;
}

/**
 * How many events of a class, within the window, show that someone is up; `devices`: or this many
 * different devices of the class (motion in two rooms is a person walking, not one twitching).
 */
export interface ClassRule {
  readonly events: number;
  readonly devices?: number;
}

export const UP_RULES: Readonly<Record<ActivityClass, ClassRule>> = {
  strong: { events: 1 },
  medium: { events: 2 },
  motion: { events: 3, devices: 2 },
};

/** The window in which repeated events add up (the default pre-alarm wait). */
export const UP_WINDOW_MS = 10 * MINUTE_MS;

/** What the check needs of an activity (Activity has these fields). */
export interface ActivitySign {
  readonly device: string;
  readonly source: string;
  readonly mono: number;
}

/** Why the activity shows someone is up: the class that decided, and the events and devices counted. */
export interface UpVerdict {
  readonly class: ActivityClass;
  readonly events: number;
  readonly devices: readonly string[];
}

/**
 * Whether these activities show that someone is up: for any class, enough events (or devices) of it
 * within `windowMs` ending at the latest of them. Undefined when they do not. The pre-alarm's seam:
 * pass the activity seen since it started.
 */
export function showsSomeoneUp(
  activities: readonly ActivitySign[],
  o: { windowMs?: number; rules?: Readonly<Record<ActivityClass, ClassRule>> } = {},
): UpVerdict | undefined {
  const windowMs = o.windowMs ?? UP_WINDOW_MS;
  const rules = o.rules ?? UP_RULES;
  const byClass = new Map<ActivityClass, ActivitySign[]>();
  for (const a of activities) {
    const c = weightOf(a.source).class;
    const list = byClass.get(c) ?? [];
    list.push(a);
    byClass.set(c, list);
  }
  for (const c of ["strong", "medium", "motion"] as const) {
    const list = (byClass.get(c) ?? []).slice().sort((a, b) => a.mono - b.mono);
    const rule = rules[c];
    // Slide a window over the events in time order; the first window that satisfies the rule decides.
    let from = 0;
    for (let to = 0; to < list.length; to++) {
      const end = (list[to] as ActivitySign).mono;
      while (end - (list[from] as ActivitySign).mono > windowMs) from++;
      const inWindow = list.slice(from, to + 1);
      const devices = [...new Set(inWindow.map((a) => a.device))];
      if (inWindow.length >= rule.events || (rule.devices !== undefined && devices.length >= rule.devices))
        return { class: c, events: inWindow.length, devices };
    }
  }
  return undefined;
}

/**
 * The activity of the last `windowMs` (relative to the newest added), and whether it shows someone is
 * up: the running form of `showsSomeoneUp` that the silence, the open alert and the outing logic keep.
 */
export class RecentSigns {
  readonly #windowMs: number;
  readonly #keep: number;
  #signs: ActivitySign[] = [];

  /** `keep`: at most this many kept (the newest), where a rule never needs more. */
  constructor(windowMs: number, keep = Number.POSITIVE_INFINITY) {
    this.#windowMs = windowMs;
    this.#keep = keep;
  }

  /** Adds `a`; the verdict over the window ending at it, undefined when it shows nobody up. */
  add(a: ActivitySign): UpVerdict | undefined {
    this.#signs = this.#signs.filter((s) => a.mono - s.mono <= this.#windowMs);
    this.#signs.push(a);
    if (this.#signs.length > this.#keep) this.#signs.shift();
    return showsSomeoneUp(this.#signs, { windowMs: this.#windowMs });
  }

  clear(): void {
    this.#signs = [];
  }
}
