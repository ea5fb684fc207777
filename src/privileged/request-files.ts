import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { PrivilegedRequest, PrivilegedResult } from "./action.js";

/** Under the agent's state directory; the path unit watches `requests/` (deploy/hearth-privileged.path). */
export function privilegedDirs(stateDir: string): { requests: string; results: string } {
  return {
    requests: join(stateDir, "privileged", "requests"),
    results: join(stateDir, "privileged", "results"),
  };
}

function writeAtomically(path: string, body: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o640 });
  renameSync(tmp, path);
}

/** The agent's side: leaves a request for the root helper. Returns its id. */
export function writeRequest(
  stateDir: string,
  action: string,
  args: unknown,
  now = new Date(),
): PrivilegedRequest {
  const dirs = privilegedDirs(stateDir);
  mkdirSync(dirs.requests, { recursive: true, mode: 0o750 });
  mkdirSync(dirs.results, { recursive: true, mode: 0o750 });
  // Time first, so that sorting the file names runs requests in the order they were made.
  const id = `${now.getTime().toString().padStart(14, "0")}-${randomUUID()}`;
  const request: PrivilegedRequest = { id, action, args, requested_at: now.toISOString() };
  writeAtomically(join(dirs.requests, `${request.id}.json`), request);
  return request;
}

/** The agent's side: the helper's answer, or undefined while there is none yet. Removes it once read. */
export function takeResult(stateDir: string, id: string): PrivilegedResult | undefined {
  const path = join(privilegedDirs(stateDir).results, `${id}.json`);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  rmSync(path, { force: true });
  return JSON.parse(text) as PrivilegedResult;
}

/** The agent's side: waits (polling, the helper is a separate process) for the result of `id`. */
export async function awaitResult(
  stateDir: string,
  id: string,
  timeoutMs: number,
  pollMs = 200,
): Promise<PrivilegedResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = takeResult(stateDir, id);
    if (result) return result;
    if (Date.now() >= deadline) {
      throw new HearthError(
        `no answer from the privileged helper within ${Math.round(timeoutMs / 1000)} s (is hearth-privileged.path enabled?)`,
        ErrorCode.Timeout,
        { request: id },
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The helper's side: pending request files, oldest name first, each removed as it is handed out. */
export function takeRequests(stateDir: string): Array<{ file: string; text: string }> {
  const dir = privilegedDirs(stateDir).requests;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: Array<{ file: string; text: string }> = [];
  for (const name of names.sort()) {
    const file = join(dir, name);
    try {
      out.push({ file, text: readFileSync(file, "utf8") });
    } finally {
      rmSync(file, { force: true });
    }
  }
  return out;
}

/** The helper's side. */
export function writeResult(stateDir: string, result: PrivilegedResult): void {
  const dir = privilegedDirs(stateDir).results;
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  writeAtomically(join(dir, `${result.id}.json`), result);
}
