import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Outputs, PromptName, SignalPattern } from "../../src/outputs/index.js";

/** An Outputs that records what it was told, in order ("say:call_confirmed", "signal:call"). */
export class RecordingOutputs implements Outputs {
  readonly audible: boolean = true;
  readonly calls: string[] = [];
  say(prompt: PromptName): Promise<void> {
    this.calls.push(`say:${prompt}`);
    return Promise.resolve();
  }
  signal(pattern: SignalPattern): Promise<void> {
    this.calls.push(`signal:${pattern}`);
    return Promise.resolve();
  }
  prepare(): Promise<void> {
    this.calls.push("prepare");
    return Promise.resolve();
  }
  said(): string[] {
    return this.calls.filter((c) => c.startsWith("say:")).map((c) => c.slice(4));
  }
}

/**
 * A directory holding a fake `name` (a shell script) that appends its arguments, one call per line, to
 * `<dir>/<name>.log`, sleeps `sleepS` and exits with `exit` (printing `stderr` first). Put `dir` first
 * on PATH.
 */
export function fakeTool(
  name: string,
  o: { exit?: number; stderr?: string; dir?: string; sleepS?: number } = {},
): { dir: string; calls: () => string[] } {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "hearth-fake-tool-"));
  const log = join(dir, `${name}.log`);
  const script = join(dir, name);
  writeFileSync(
    script,
    `#!/bin/sh\necho "$*" >> '${log}'\n${o.sleepS ? `sleep ${o.sleepS}\n` : ""}${o.stderr ? `echo '${o.stderr}' >&2\n` : ""}exit ${o.exit ?? 0}\n`,
  );
  chmodSync(script, 0o755);
  return {
    dir,
    calls: () => {
      try {
        return readFileSync(log, "utf8").split("\n").filter(Boolean);
      } catch {
        return [];
      }
    },
  };
}
