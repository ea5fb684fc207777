import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FieldEvent } from "../contract/field-commands.js";

/**
 * How the root helper tells the cloud what a restart-causing change ended in: it cannot publish, and
 * the agent that asked is gone after the restart. It leaves an event in `<state>/outcomes/`; the agent
 * puts each into its outbox at start (durable, so an update that fails offline is still reported) and
 * removes the file.
 */
export interface OutcomeEvent {
  event: FieldEvent;
  data: Record<string, unknown>;
}

export function outcomesDir(stateDir: string): string {
  return join(stateDir, "outcomes");
}

/** The helper's side: `dir` is the state directory as the helper sees it (under its root). */
export function writeOutcome(stateDir: string, id: string, outcome: OutcomeEvent): void {
  const dir = outcomesDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const path = join(dir, `${id}.json`);
  // Readable by the agent's user, which removes it (the state directory is the agent's).
  writeFileSync(`${path}.tmp`, `${JSON.stringify(outcome)}\n`, { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
}

/** The agent's side, at start: every outcome left, oldest first, each removed once handed to `put`. */
export function drainOutcomes(stateDir: string, put: (o: OutcomeEvent) => void): number {
  let names: string[];
  try {
    names = readdirSync(outcomesDir(stateDir)).filter((n) => n.endsWith(".json"));
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of names.sort()) {
    const path = join(outcomesDir(stateDir), name);
    try {
      const o = JSON.parse(readFileSync(path, "utf8")) as OutcomeEvent;
      if (typeof o.event === "string" && o.data && typeof o.data === "object") {
        put(o);
        n++;
      }
    } catch {
      // A torn or foreign file: dropped below, it must not be retried at every start.
    }
    rmSync(path, { force: true });
  }
  return n;
}
