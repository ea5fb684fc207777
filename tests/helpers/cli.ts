import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../../src/core/paths.js";

/** The built `hearth` command (tests run after `npm run build`). */
export const HEARTH_MAIN = join(packageRoot(), "dist/src/cli/main.js");

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hearth …` to its end, synchronously, with `input` on stdin. */
export function hearthSync(args: string[], input?: string): Ran {
  const r = spawnSync(process.execPath, [HEARTH_MAIN, ...args], { encoding: "utf8", input, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Starts a program and collects its output; `done` settles when it exits, `state.exited` says whether
 * it has. It is killed after `timeoutMs`, so a hung child fails its test instead of hanging the run.
 */
export function startProgram(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): { done: Promise<Ran>; state: { exited: boolean } } {
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const state = { exited: false };
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const done = new Promise<Ran>((resolve, reject) => {
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      state.exited = true;
      resolve({ code, stdout, stderr });
    });
  });
  return { done, state };
}

/** Runs `hearth …` to its end, without blocking the event loop (for tests that serve it meanwhile). */
export function hearth(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Ran> {
  return startProgram(process.execPath, [HEARTH_MAIN, ...args], options).done;
}
