import { execFile } from "node:child_process";

/** How an outside tool (espeak-ng, aplay, gpioset) ended: never a rejection, always one of these. */
export type ToolResult =
  | { ok: true }
  | { ok: false; missing: boolean; reason: string; exitCode?: number; stderr?: string };

export interface ToolOptions {
  timeoutMs: number;
  /** PATH for the tool (tests put a fake gpioset first); default: the agent's own. */
  path?: string;
}

/**
 * Runs `cmd args`; resolves with what happened and never rejects: audio and GPIO are feedback to the
 * person, and their failures are logged by the caller, never thrown into the alert path.
 */
export function runTool(cmd: string, args: readonly string[], o: ToolOptions): Promise<ToolResult> {
  return new Promise((resolve) => {
    try {
      execFile(
        cmd,
        [...args],
        {
          timeout: o.timeoutMs,
          killSignal: "SIGKILL",
          ...(o.path !== undefined ? { env: { ...process.env, PATH: o.path } } : {}),
        },
        (err, _stdout, stderr) => {
          if (!err) return resolve({ ok: true });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
          if (e.code === "ENOENT")
            return resolve({ ok: false, missing: true, reason: `${cmd} is not installed` });
          if (e.killed)
            return resolve({ ok: false, missing: false, reason: `${cmd} took over ${o.timeoutMs} ms` });
          resolve({
            ok: false,
            missing: false,
            reason: `${cmd} failed`,
            ...(typeof e.code === "number" ? { exitCode: e.code } : {}),
            stderr: String(stderr).trim().slice(0, 500),
          });
        },
      );
    } catch (e) {
      resolve({ ok: false, missing: false, reason: `${cmd} could not start: ${(e as Error).message}` });
    }
  });
}
