import { mkdtempSync, rmSync } from "node:fs";
import { afterAll } from "vitest";
import { requireTool } from "./tools.js";

export { type PtyPair, startPtyPair } from "./pty-pair.js";

/**
 * A fresh directory under /dev for pty links (the config takes serial paths under /dev only), removed
 * after the file's tests; where /dev is not writable (not root) the tests skip with the reason, and
 * under CI=true that is a failure. `dir` is undefined when they skip.
 */
export function devLinkDir(): { dir: string | undefined; usable: boolean } {
  let dir: string | undefined;
  try {
    dir = mkdtempSync("/dev/hearth-test-");
  } catch {
    dir = undefined;
  }
  const usable = requireTool(
    "a writable /dev",
    dir !== undefined,
    "the config takes serial paths under /dev only; run as root",
  );
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return { dir, usable };
}
