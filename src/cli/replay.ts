import type { HearthConfig } from "../config/schema.js";
import { parseDuration } from "../core/duration.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { fileLineBatches } from "../replay/file-lines.js";
import { parseTs } from "../replay/input.js";
import { runReplay } from "../replay/run.js";
import { CliExit, EXIT } from "./exit.js";
import { printProblems } from "./io.js";

export interface ReplayCliOptions {
  config?: string;
  input: string;
  until?: string;
  telemetry?: boolean;
  /** `--prealarm [wait]`: true, or the wait as a duration ("10m"). */
  prealarm?: true | string;
}

/** Loads a home's config and the profiles it names; exits with the problems when it is not valid. */
export async function loadHome(
  file: string,
): Promise<{ config: HearthConfig; profiles: ReadonlyMap<string, DeviceProfile> }> {
  const { loadCatalogue } = await import("../profiles/catalogue.js");
  const { loadConfigFile } = await import("../config/load.js");
  const catalogue = loadCatalogue();
  const parsed = loadConfigFile(file, catalogue.profiles);
  if (!parsed.ok) {
    printProblems(`${file} is not a valid Hearth config`, parsed.problems);
    throw new CliExit(EXIT.failed);
  }
  return { config: parsed.value, profiles: catalogue.profiles };
}

/**
 * `hearth replay`: the contract envelopes the agent would send for a recorded or simulated input, one
 * JSON line each on stdout; skipped lines on stderr with their number.
 */
export async function replayCommand(o: ReplayCliOptions): Promise<void> {
  let untilMs: number | undefined;
  if (o.until !== undefined) {
    const t = parseTs(o.until);
    if (!t)
      throw new CliExit(EXIT.usage, `hearth replay: --until ${o.until} is not an ISO 8601 time with offset`);
    untilMs = t.ms;
  }
  let prealarm: true | number | undefined;
  if (typeof o.prealarm === "string") {
    prealarm = parseDuration(o.prealarm);
    if (prealarm === undefined)
      throw new CliExit(
        EXIT.usage,
        `hearth replay: --prealarm ${o.prealarm} is not a duration such as "10m"`,
      );
  } else if (o.prealarm) prealarm = true;
  const home = o.config !== undefined ? await loadHome(o.config) : undefined;
  let out: string[] = [];
  let outChars = 0;
  const flush = () => {
    if (out.length === 0) return;
    process.stdout.write(`${out.join("\n")}\n`);
    out = [];
    outChars = 0;
  };
  let lines: AsyncIterable<string[]>;
  try {
    lines = fileLineBatches(o.input);
  } catch (e) {
    throw new CliExit(EXIT.failed, `hearth replay: cannot read ${o.input}: ${(e as Error).message}`);
  }
  try {
    await runReplay(lines, {
      ...(home ? { config: home.config, profiles: home.profiles } : {}),
      ...(untilMs !== undefined ? { untilMs } : {}),
      telemetry: o.telemetry ?? false,
      ...(prealarm !== undefined ? { prealarm } : {}),
      emit: (env) => {
        const s = JSON.stringify(env);
        out.push(s);
        outChars += s.length;
        if (outChars > 1 << 16) flush();
      },
      problem: (line, reason) => process.stderr.write(`${o.input}:${line}: skipped: ${reason}\n`),
    });
  } catch (e) {
    flush();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR")
      throw new CliExit(EXIT.failed, `hearth replay: cannot read ${o.input}: ${(e as Error).message}`);
    throw e;
  }
  flush();
}
