import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SystemClock } from "../../src/core/clock.js";
import { ErrorCode, HearthError, isHearthError } from "../../src/core/errors.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Issue 9, defect 1: an error out of a timer body ended the process with nothing said, or left it
 * half alive. `hearth run` now logs it as fatal with its origin, gives the agent a bounded stop and
 * exits 1, so systemd restarts it.
 */
function runChild(kind: "throw" | "reject") {
  return spawnSync(
    process.execPath,
    [join("node_modules", "vite-node", "vite-node.mjs"), "tests/agent/fatal-child.ts", kind],
    { encoding: "utf8", timeout: 60_000 },
  );
}

describe("hearth run on an error nothing caught", () => {
  for (const [kind, origin] of [
    ["throw", "uncaughtException"],
    ["reject", "unhandledRejection"],
  ] as const) {
    it(`${origin}: a fatal log line with its origin, the agent stopped, exit 1`, () => {
      const r = runChild(kind);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("stopped\n");
      const fatal = r.stderr
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.level === 60);
      expect(fatal).toMatchObject({
        origin,
        msg: `Unexpected error (${origin}): stopping, exit 1 for a restart`,
      });
    }, 60_000);
  }
});

describe("SystemClock with onTimerError (what hearth run uses)", () => {
  it("a timer body that throws is reported and the interval keeps running", async () => {
    const errors: unknown[] = [];
    const clock = new SystemClock({ onTimerError: (e) => errors.push(e) });
    let runs = 0;
    const t = clock.setInterval(() => {
      runs++;
      throw new HearthError(`run ${runs}`, ErrorCode.Internal);
    }, 5);
    await waitFor("three runs", () => runs >= 3);
    t.cancel();
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(isHearthError(errors[0], ErrorCode.Internal)).toBe(true);
  });
});
