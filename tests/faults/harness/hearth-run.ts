import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { HEARTH_MAIN } from "../../helpers/cli.js";
import { spawnReaped } from "./spawn.js";

/**
 * The product itself, `hearth run --config …` from dist/, for scenarios that need no simulated radio:
 * the native serial binding on real pseudo-terminals, the CLI's own signal handling and exit codes.
 * What it made durable is read from its outbox afterwards (Ledger.readOutbox).
 */
export interface HearthRun {
  readonly child: ChildProcess;
  alive(): boolean;
  /** SIGTERM; resolves with the exit code (null when a signal ended it). */
  stop(): Promise<number | null>;
  stderr(): string;
}

export function startHearthRun(dir: string, configYaml: string, env: NodeJS.ProcessEnv = {}): HearthRun {
  const config = join(dir, "hearth.yaml");
  // Mode 600: a config holding a bind key must not be world-readable (the loader refuses it).
  writeFileSync(config, configYaml, { mode: 0o600 });
  const { child, exited, stderr } = spawnReaped(process.execPath, [HEARTH_MAIN, "run", "--config", config], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
    tailChars: 50_000,
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    alive,
    stop() {
      if (alive()) child.kill("SIGTERM");
      return exited;
    },
    stderr,
  };
}
