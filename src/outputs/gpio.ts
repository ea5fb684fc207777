import type { Logger } from "../core/log.js";
import type { Outputs, SignalPattern } from "./outputs.js";
import { OutputFailures } from "./report.js";
import { MAX_QUEUED_PROMPTS } from "./speaker.js";
import { runTool } from "./tool.js";

export interface GpioOptions {
  /** gpiochip name or number, as `gpioset` takes it ("gpiochip0", "0"). */
  chip: string;
  buzzerLine?: number;
  ledLine?: number;
  log: Logger;
  /** PATH for gpioset (tests put a fake first); default the agent's. */
  path?: string;
}

/** One step of a pattern: a line to a value, held for `holdMs` when given (then the next step). */
type Step = { line: "buzzer" | "led"; value: 0 | 1; holdMs?: number };

const beep = (ms: number): Step[] => [
  { line: "buzzer", value: 1, holdMs: ms },
  { line: "buzzer", value: 0, holdMs: ms },
];

/** Patterns: a call is three beeps and the LED on; help coming one long beep, LED on; off turns both off. */
export const PATTERNS: Record<SignalPattern, readonly Step[]> = {
  call: [{ line: "led", value: 1 }, ...beep(200), ...beep(200), ...beep(200)],
  help_coming: [{ line: "led", value: 1 }, ...beep(800)],
  prealarm: [...beep(300), ...beep(300)],
  off: [
    { line: "buzzer", value: 0 },
    { line: "led", value: 0 },
  ],
};

/**
 * A buzzer and an LED on GPIO lines through libgpiod 1.6's command line (bookworm): `gpioset <chip>
 * <line>=<value>`, with `--mode=time --usec=` to hold a beep. Patterns run one at a time; a line that
 * is not configured is skipped.
 */
export class Gpio implements Outputs {
  readonly audible: boolean;
  readonly #o: GpioOptions;
  readonly #failures: OutputFailures;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;

  constructor(o: GpioOptions) {
    this.#o = o;
    // Only a buzzer is heard: an LED alone does not ask anyone anything (the pre-alarm's `auto`).
    this.audible = o.buzzerLine !== undefined;
    this.#failures = new OutputFailures(o.log);
  }

  async say(): Promise<void> {}

  async prepare(): Promise<void> {}

  signal(pattern: SignalPattern): Promise<void> {
    // As for prompts (MAX_QUEUED_PROMPTS): a burst of alerts must not queue minutes of beeping.
    if (this.#queued >= MAX_QUEUED_PROMPTS) {
      this.#o.log.warn({ pattern, queued: this.#queued }, `Signal ${pattern} dropped: too many waiting`);
      return Promise.resolve();
    }
    this.#queued++;
    const next = this.#queue.then(() => this.#run(pattern)).finally(() => this.#queued--);
    this.#queue = next;
    return next;
  }

  async #run(pattern: SignalPattern): Promise<void> {
    for (const step of PATTERNS[pattern]) {
      const line = step.line === "buzzer" ? this.#o.buzzerLine : this.#o.ledLine;
      if (line === undefined) continue;
      const hold = step.holdMs !== undefined ? ["--mode=time", `--usec=${step.holdMs * 1000}`] : [];
      const r = await runTool("gpioset", [...hold, this.#o.chip, `${line}=${step.value}`], {
        timeoutMs: (step.holdMs ?? 0) + 5_000,
        ...(this.#o.path !== undefined ? { path: this.#o.path } : {}),
      });
      if (!r.ok) {
        this.#failures.report("setting a GPIO line", r, { chip: this.#o.chip, line, pattern });
        return;
      }
    }
  }
}
