import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { waitFor } from "../../helpers/wait.js";
import { agentChildBundle } from "./child-bundle.js";
import type { ChildOptions } from "./child-options.js";
import type { Ledger } from "./ledger.js";
import { spawnReaped } from "./spawn.js";

/**
 * One life of the agent child: started, fed commands, watched, and ended by SIGKILL or SIGTERM. Every
 * "C <id>" it prints goes into the ledger as committed; its telemetry and advert counts are kept.
 */
export interface AgentLife {
  readonly child: ChildProcess;
  /** Lines seen so far, by kind. */
  readonly seen: {
    ready: boolean;
    drained: boolean;
    stopped: boolean;
    telemetry: number;
    adverts: number;
    /** Undelivered telemetry the outbox's size bound dropped, by its own log lines (child at warn level). */
    boundDropped: number;
  };
  send(command: string): void;
  /** Resolves once `n` more alerts/events were committed in this life (counting from the call). */
  committed(n: number, timeoutMs?: number): Promise<void>;
  /** Asks for DRAINED and waits for it. */
  drain(timeoutMs?: number): Promise<void>;
  kill(): Promise<void>;
  /** SIGTERM; resolves once the process ended, with its exit code. */
  stop(): Promise<number | null>;
  /** What the child wrote on stderr (for failure messages). */
  stderr(): string;
}

export async function startAgent(
  options: ChildOptions,
  ledger: Ledger,
  env: NodeJS.ProcessEnv = {},
  /** false: return at once, so that a kill can land while the agent is still starting. */
  waitReady = true,
): Promise<AgentLife> {
  const bundle = await agentChildBundle();
  const { child, exited, stderr } = spawnReaped(
    process.execPath,
    ["--enable-source-maps", bundle, JSON.stringify(options)],
    { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env }, tailChars: 20_000 },
  );
  // Counted line by line, not from the kept tail, so a noisy life cannot hide a drop.
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
    if (!line.includes('"droppedTelemetry"')) return;
    try {
      seen.boundDropped += Number((JSON.parse(line) as { droppedTelemetry?: number }).droppedTelemetry ?? 0);
    } catch {
      // A line cut by the kill: its count is lost with it, and the check that uses it errs on the strict side.
    }
  });
  child.stdin?.on("error", () => undefined);
  const seen = { ready: false, drained: false, stopped: false, telemetry: 0, adverts: 0, boundDropped: 0 };
  let committedHere = 0;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    if (line.startsWith("C ")) {
      ledger.committed(line.slice(2));
      committedHere++;
    } else if (line.startsWith("T ")) seen.telemetry = Number(line.slice(2));
    else if (line.startsWith("P ")) seen.adverts = Number(line.slice(2));
    else if (line === "READY") seen.ready = true;
    else if (line === "DRAINED") seen.drained = true;
    else if (line === "STOPPED") seen.stopped = true;
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const life: AgentLife = {
    child,
    seen,
    send(command) {
      if (!gone()) child.stdin?.write(`${command}\n`);
    },
    async committed(n, timeoutMs = 30_000) {
      const target = committedHere + n;
      await waitFor(`${n} more committed alerts/events`, () => committedHere >= target || gone(), {
        timeoutMs,
        detail: () => ({ committedHere, stderr: stderr().slice(-2000) }),
      });
    },
    async drain(timeoutMs = 60_000) {
      seen.drained = false;
      life.send("drain");
      await waitFor("the agent to report its outbox drained", () => seen.drained, {
        timeoutMs,
        detail: () => ({ exited: gone(), stderr: stderr().slice(-2000) }),
      });
    },
    async kill() {
      if (!gone()) child.kill("SIGKILL");
      await exited;
      ledger.telemetryMade(seen.telemetry);
    },
    async stop() {
      if (!gone()) child.kill("SIGTERM");
      const code = await exited;
      ledger.telemetryMade(seen.telemetry);
      return code;
    },
    stderr,
  };
  if (!waitReady) return life;
  await waitFor("the agent child to start", () => seen.ready || gone(), {
    timeoutMs: 30_000,
    detail: () => ({ stderr: stderr().slice(-2000) }),
  });
  if (!seen.ready) throw new Error(`the agent child did not start: ${stderr()}`);
  return life;
}
