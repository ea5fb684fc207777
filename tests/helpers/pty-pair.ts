import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
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
