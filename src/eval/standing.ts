import type { Envelope } from "../contract/messages.js";

/**
 * Kinds whose alert, still open at the incident, detects it then: `not_home` is cleared when the
 * person is back, so one still open says they are out and not back, and the carers were told; an
 * incident out of the home is what it is for. (`inactivity` is left out so that the figures of homes
 * without a door stay those measured before; a `fall` is closed only by the cloud, so an old false
 * one says nothing.)
 */
const STANDING_KINDS: ReadonlySet<string> = new Set(["not_home"]);

/** What an open alert found the incident by: its kind, and the rule the outcome names. */
export interface StandingDetection {
  kind: string;
  rule: string;
}

/**
 * The alerts of `STANDING_KINDS` raised before the incident and not yet cleared or acknowledged. One
 * still open at the incident detects it then (time to detect 0): docs/DETECTION.md, "Misses within
 * 12 h". It still counts as a false alarm too (it was raised while the person was well).
 */
export class StandingAlerts {
  readonly #open = new Map<string, StandingDetection>();
  #decided = false;

  /** An alert envelope's body from before the incident; `rule`: the rule the outcome would name. */
  note(b: Envelope<"alert">["body"], rule: string): void {
    if (!STANDING_KINDS.has(b.kind)) return;
    if (b.state === "raised") this.#open.set(b.alert, { kind: b.kind, rule: `open:${rule}` });
    else if (b.state === "cleared" || b.state === "acknowledged") this.#open.delete(b.alert);
  }

  /** Once, at the incident (the first envelope at or after it, or the end): the open alert, if any. */
  atIncident(): StandingDetection | undefined {
    if (this.#decided) return undefined;
    this.#decided = true;
    return this.#open.values().next().value;
  }
}
