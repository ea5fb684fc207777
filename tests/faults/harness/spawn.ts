import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";

/** A child the suite owns: killed if the test process exits first, its exit awaited, its stderr's tail kept. */
export interface Spawned {
  child: ChildProcess;
  /** Resolves with the exit code (null after a signal). */
  exited: Promise<number | null>;
  /** The last `tailChars` characters the child wrote on stderr. */
  stderr(): string;
}

export function spawnReaped(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { tailChars: number },
): Spawned {
  const { tailChars, ...spawnOptions } = options;
  const child = spawn(command, args, spawnOptions);
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      process.off("exit", reap);
      resolve(code);
    }),
  );
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-tailChars);
  });
  return { child, exited, stderr: () => err };
}
