import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../core/log.js";
import type { Outputs } from "./outputs.js";
import { type Language, PROMPT_TEXTS, PROMPTS, type PromptName, VOICES } from "./prompts.js";
import { OutputFailures } from "./report.js";
import { runTool } from "./tool.js";

/**
 * Most prompts waiting to be played: a burst of alerts (several falls, presses) must not queue minutes
 * of speech behind a slow or hung device. Later ones are dropped, and logged.
 */
export const MAX_QUEUED_PROMPTS = 4;

export interface SpeakerOptions {
  /** ALSA device for `aplay -D` ("default", "plughw:1,0", "null" in tests). */
  device: string;
  language: Language;
  /** The provider's recorded prompts, `<prompt>.wav`; a prompt missing there is rendered. */
  promptsDir?: string;
  /** Where rendered prompts are kept (`<state_dir>/prompts`). */
  cacheDir: string;
  log: Logger;
  /** PATH for espeak-ng and aplay (tests); default the agent's. */
  path?: string;
  renderTimeoutMs?: number;
  playTimeoutMs?: number;
}

/**
 * Spoken prompts through ALSA: a WAV per prompt (the provider's recording, or rendered once with
 * espeak-ng into the cache), played with `aplay -D <device>`. One prompt at a time, in order: two
 * prompts never talk over each other, and a hung device is cut off by the play timeout.
 */
export class Speaker implements Outputs {
  readonly audible = true;
  readonly #o: SpeakerOptions;
  readonly #failures: OutputFailures;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;

  constructor(o: SpeakerOptions) {
    this.#o = o;
    this.#failures = new OutputFailures(o.log);
  }

  say(prompt: PromptName): Promise<void> {
    if (this.#queued >= MAX_QUEUED_PROMPTS) {
      this.#o.log.warn(
        { prompt, queued: this.#queued },
        `Prompt ${prompt} dropped: too many prompts waiting`,
      );
      return Promise.resolve();
    }
    this.#queued++;
    const next = this.#queue.then(() => this.#sayNow(prompt)).finally(() => this.#queued--);
    this.#queue = next;
    return next;
  }

  async signal(): Promise<void> {}

  async prepare(): Promise<void> {
    for (const p of PROMPTS) await this.wavOf(p);
  }

  /** The WAV file for `prompt`, rendering it if needed; undefined when it cannot be had. */
  async wavOf(prompt: PromptName): Promise<string | undefined> {
    const { promptsDir, cacheDir, language } = this.#o;
    if (promptsDir !== undefined) {
      const recorded = join(promptsDir, `${prompt}.wav`);
      if (existsSync(recorded)) return recorded;
    }
    const file = join(cacheDir, `${language}-${prompt}.wav`);
    if (existsSync(file)) return file;
    try {
      mkdirSync(cacheDir, { recursive: true });
    } catch (e) {
      this.#failures.report(
        "rendering a prompt",
        { ok: false, missing: false, reason: `cannot create ${cacheDir}: ${(e as Error).message}` },
        { prompt },
      );
      return undefined;
    }
    // Rendered beside, then renamed: a render cut short never leaves a truncated prompt behind.
    const part = `${file}.part`;
    const r = await runTool(
      "espeak-ng",
      ["-v", VOICES[language], "-w", part, PROMPT_TEXTS[language][prompt]],
      {
        timeoutMs: this.#o.renderTimeoutMs ?? 30_000,
        ...(this.#o.path !== undefined ? { path: this.#o.path } : {}),
      },
    );
    if (!r.ok) {
      this.#failures.report("rendering a prompt", r, { prompt, language });
      return undefined;
    }
    renameSync(part, file);
    return file;
  }

  async #sayNow(prompt: PromptName): Promise<void> {
    try {
      const wav = await this.wavOf(prompt);
      if (wav === undefined) return;
      const r = await runTool("aplay", ["-q", "-D", this.#o.device, wav], {
        timeoutMs: this.#o.playTimeoutMs ?? 60_000,
        ...(this.#o.path !== undefined ? { path: this.#o.path } : {}),
      });
      if (!r.ok) this.#failures.report("playing a prompt", r, { prompt, device: this.#o.device });
      else this.#o.log.info({ prompt, device: this.#o.device }, `Said ${prompt}`);
    } catch (e) {
      this.#failures.report(
        "saying a prompt",
        { ok: false, missing: false, reason: (e as Error).message },
        { prompt },
      );
    }
  }
}
