import type { PromptName } from "./prompts.js";

/** What the buzzer and LED show. */
export const SIGNALS = ["call", "help_coming", "prealarm", "off"] as const;
export type SignalPattern = (typeof SIGNALS)[number];

/**
 * Local feedback to the person: a spoken prompt, a buzzer and LED pattern. Both return at once with a
 * promise that never rejects (it settles when the output is done, for tests): nothing on the alert
 * path waits on it or fails because of it. Failures (a missing tool, a busy device) are logged.
 */
export interface Outputs {
  say(prompt: PromptName): Promise<void>;
  signal(pattern: SignalPattern): Promise<void>;
  /** Renders what can be rendered ahead (spoken prompts), so the first call does not wait on it. */
  prepare(): Promise<void>;
  /** Whether anything would reach the person (the pre-alarm is on by default only then). */
  readonly audible: boolean;
}

/** No output configured: nobody hears anything. */
export const NO_OUTPUTS: Outputs = {
  say: async () => {},
  signal: async () => {},
  prepare: async () => {},
  audible: false,
};

/** Every configured output, each told the same. */
export function allOf(parts: readonly Outputs[]): Outputs {
  if (parts.length === 0) return NO_OUTPUTS;
  if (parts.length === 1) return parts[0] as Outputs;
  return {
    say: async (p) => {
      await Promise.all(parts.map((o) => o.say(p)));
    },
    signal: async (s) => {
      await Promise.all(parts.map((o) => o.signal(s)));
    },
    prepare: async () => {
      await Promise.all(parts.map((o) => o.prepare()));
    },
    audible: parts.some((o) => o.audible),
  };
}
