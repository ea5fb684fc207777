import type { Envelope } from "../contract/messages.js";
import type { ReplayEngine } from "../replay/engine.js";
import type { ReplayRecord } from "../replay/input.js";
import { HOUSEHOLD_OFFSET_MIN } from "../sim/household-profile.js";

/** The simulated person's call button, on which they answer a prompt ("I am fine", a double press). */
export const ANSWER_BUTTON = "button-1";

/**
 * The closed loop of the pre-alarm in the evaluation: the prompt is on the gateway, so the simulated
 * person answers it. On each `prealarm_started` event the person's answer (if any, and when) is asked
 * of the household, and a double press goes into the engine's input at that time, in between the
 * home's own records (a small priority queue: answers are few).
 */
export class AnswerLoop {
  readonly #queue: ReplayRecord[] = [];
  /** Prompts seen (all), and how many the person answered. */
  prompts = 0;
  answered = 0;
  /** Prompts counted, by the rule that asked (the event's `rule`). */
  readonly byRule: Record<string, number> = {};

  /**
   * @param answerAt when the person answers a prompt heard at this time, or undefined
   * @param counts whether a prompt at this time is counted (before the incident)
   */
  constructor(
    private readonly answerAt: (promptMs: number) => number | undefined,
    private readonly counts: (promptMs: number) => boolean = () => true,
  ) {}

  /** Looks at every envelope the engine emits; true when it was a prompt. */
  onEnvelope(env: Envelope): boolean {
    if (env.type !== "event") return false;
    const ev = env.body as Envelope<"event">["body"];
    if (ev.event !== "prealarm_started") return false;
    const ms = Date.parse(env.ts);
    if (this.counts(ms)) {
      this.prompts++;
      const rule = String(ev.data.rule);
      this.byRule[rule] = (this.byRule[rule] ?? 0) + 1;
    }
    // Nobody hears a prompt that is not spoken (inside the sleep window with the lights off).
    if (ev.data.spoken === false) return true;
    const at = this.answerAt(ms);
    if (at === undefined) return true;
    if (this.counts(ms)) this.answered++;
    let i = this.#queue.length;
    while (i > 0 && (this.#queue[i - 1] as ReplayRecord).ms > at) i--;
    this.#queue.splice(i, 0, {
      kind: "button",
      ms: at,
      offsetMin: HOUSEHOLD_OFFSET_MIN,
      device: ANSWER_BUTTON,
      event: "double_press",
    });
    return true;
  }

  /** Answers still to come. */
  get pending(): readonly ReplayRecord[] {
    return this.#queue;
  }

  /**
   * Pushes into `engine` every answer due by `untilMs`. One the engine's clock has already passed (it
   * decided the prompt while moving on to a later record) goes in at the engine's time.
   */
  feed(engine: ReplayEngine, untilMs: number): void {
    while (this.#queue.length > 0 && (this.#queue[0] as ReplayRecord).ms <= untilMs) {
      const a = this.#queue.shift() as ReplayRecord;
      engine.push(a.ms < engine.lastMs ? { ...a, ms: engine.lastMs } : a);
    }
  }
}
