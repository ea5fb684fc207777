import { lstatSync } from "node:fs";
import { dirname } from "node:path";
import { privilegedDirs } from "./request-files.js";

/**
 * Before root touches anything under the agent's state directory: `privileged/` must be a real
 * directory owned by the helper's own user and writable by nobody else, so the agent's user cannot
 * swap `requests/` or `results/` for a symlink into /etc; those two must be real directories.
 * Returns why not (one line), or undefined when the boundary is as deploy/install.sh made it.
 */
export function boundaryProblem(stateDir: string, uid: number): string | undefined {
  const { requests, results } = privilegedDirs(stateDir);
  const base = dirname(requests);
  for (const [dir, mustOwn] of [
    [base, true],
    [requests, false],
    [results, false],
  ] as const) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(dir);
    } catch {
      return `${dir} is missing (deploy/install.sh makes it)`;
    }
    if (st.isSymbolicLink()) return `${dir} is a symlink`;
    if (!st.isDirectory()) return `${dir} is not a directory`;
    if (mustOwn && st.uid !== uid) return `${dir} is owned by uid ${st.uid}, not ${uid}`;
    if (mustOwn && (st.mode & 0o022) !== 0)
      return `${dir} is writable by its group or others (mode 0${(st.mode & 0o777).toString(8)})`;
  }
  return undefined;
}
