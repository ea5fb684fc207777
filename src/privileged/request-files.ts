import { randomUUID } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import type { PrivilegedRequest, PrivilegedResult } from "./action.js";

/** Under the agent's state directory; the path unit watches `requests/` (deploy/hearth-privileged.path). */
export function privilegedDirs(stateDir: string): { requests: string; results: string } {
  return {
    requests: join(stateDir, "privileged", "requests"),
    results: join(stateDir, "privileged", "results"),
  };
}

/** Largest request file read; anything bigger is refused unread (a request is a few hundred bytes). */
export const REQUEST_MAX_BYTES = 64 * 1024;

/**
 * Root writes results into a directory the agent's user can write too: the temporary file is created
 * exclusively (O_EXCL does not follow a planted symlink, it fails on it) and renamed over the name,
 * which replaces whatever is there without following it.
 */
function writeAtomically(path: string, body: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o640,
  );
  try {
    writeSync(fd, `${JSON.stringify(body, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * A request file's text, read without following a symlink and only from a regular file of a sane
 * size: root must not be made to read (and log a piece of) a file the agent's user cannot.
 */
function readRequestFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new HearthError(`${file}: not a regular file`, ErrorCode.CommandInvalid);
    if (st.size > REQUEST_MAX_BYTES)
      throw new HearthError(`${file}: ${st.size} bytes, over ${REQUEST_MAX_BYTES}`, ErrorCode.CommandInvalid);
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
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
      out.push({ file, text: readRequestFile(file) });
    } catch (e) {
      // Given as text that is not JSON, so the dispatcher answers it like any malformed request.
      out.push({ file, text: `unreadable: ${errorMessage(e).replace(/^.*?: /, "")}` });
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
