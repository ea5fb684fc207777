import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { afterAll } from "vitest";
import { requireTool } from "./tools.js";
import { sleep } from "./wait.js";

/** A pseudo-terminal pair from socat, for tests of the real serialport binding and outside tools. */

export interface PtyPair {
  /** The end the code under test opens (a stable `link=` path). */
  a: string;
  /** The end the simulator (or an outside tool) opens. */
  b: string;
  /** Kills socat: both ptys vanish, as an unplugged adapter does. */
  kill(): Promise<void>;
}

/** `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`, resolved once both links exist. */
export async function startPtyPair(a: string, b: string): Promise<PtyPair> {
  const child: ChildProcess = spawn(
    "socat",
    ["-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const start = Date.now();
  while (!(existsSync(a) && existsSync(b))) {
    if (child.exitCode !== null) throw new Error(`socat exited: ${stderr}`);
    if (Date.now() - start > 5000) {
      child.kill("SIGKILL");
      throw new Error(`socat did not create ${a} and ${b} in 5 s: ${stderr}`);
    }
    await sleep(10);
  }
  // socat prints "starting data transfer loop" once both ends are ready.
  while (!stderr.includes("starting data transfer loop") && Date.now() - start < 5000) await sleep(10);
  return {
    a,
    b,
    kill: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

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
