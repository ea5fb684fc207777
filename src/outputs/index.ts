import { join } from "node:path";
import type { OutputsConfig } from "../config/schema.js";
import type { Logger } from "../core/log.js";
import { Gpio } from "./gpio.js";
import { allOf, NO_OUTPUTS, type Outputs } from "./outputs.js";
import { Speaker } from "./speaker.js";

export {
  alertFeedback,
  type PrealarmFeedback,
  prealarmFeedback,
  prealarmPrompt,
  prepareOutputs,
} from "./feedback.js";
export { Gpio, PATTERNS } from "./gpio.js";
export { allOf, NO_OUTPUTS, type Outputs, SIGNALS, type SignalPattern } from "./outputs.js";
export { LANGUAGES, type Language, PROMPT_TEXTS, PROMPTS, type PromptName, VOICES } from "./prompts.js";
export { Speaker } from "./speaker.js";

/** The outputs the config asks for (none by default); rendered prompts go under `<stateDir>/prompts`. */
export function createOutputs(config: OutputsConfig, stateDir: string, log: Logger): Outputs {
  const parts: Outputs[] = [];
  const s = config.speaker;
  if (s?.enabled)
    parts.push(
      new Speaker({
        device: s.device,
        language: s.language,
        ...(s.prompts_dir !== undefined ? { promptsDir: s.prompts_dir } : {}),
        cacheDir: join(stateDir, "prompts"),
        log,
      }),
    );
  const g = config.gpio;
  if (g)
    parts.push(
      new Gpio({
        chip: g.chip,
        ...(g.buzzer_line !== undefined ? { buzzerLine: g.buzzer_line } : {}),
        ...(g.led_line !== undefined ? { ledLine: g.led_line } : {}),
        log,
      }),
    );
  return parts.length === 0 ? NO_OUTPUTS : allOf(parts);
}
