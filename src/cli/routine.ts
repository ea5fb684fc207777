import { existsSync } from "node:fs";
import { join } from "node:path";
import { Routine, type RoutineState, routineChart } from "../pipeline/routine.js";
import { fileLines, runReplay } from "../replay/run.js";
import { CliExit, EXIT } from "./exit.js";
import { loadHome } from "./replay.js";

/**
 * `hearth routine`: the learned routine as a text chart, from the agent's state directory (the
 * outbox's kv table) or learned afresh from a replay of readings.
 */
export async function routineCommand(o: {
  config?: string;
  stateDir?: string;
  input?: string;
}): Promise<void> {
  const home = o.config !== undefined ? await loadHome(o.config) : undefined;
  if (o.input !== undefined) {
    const res = await runReplay(fileLines(o.input), {
      ...(home ? { config: home.config, profiles: home.profiles } : {}),
      emit: () => undefined,
      problem: (line, reason) => process.stderr.write(`${o.input}:${line}: skipped: ${reason}\n`),
    });
    const p = res.engine?.pipeline;
    if (!p) throw new CliExit(EXIT.nothingFound, `hearth routine: no usable lines in ${o.input}`);
    process.stdout.write(`${routineChart(p.routine)}\n`);
    const machines = Object.entries(p.machines())
      .map(([d, w]) => `${d}: ${w.length ? w.map((x) => `${x} W`).join(", ") : "none yet"}`)
      .join("; ");
    process.stdout.write(`machine steps (not counted as a person): ${machines || "no power meter"}\n`);
    return;
  }
  const dir = o.stateDir ?? home?.config.state_dir;
  if (dir === undefined)
    throw new CliExit(EXIT.usage, "hearth routine: give --state-dir, --config or --input");
  const file = join(dir, "outbox.db");
  if (!existsSync(file)) throw new CliExit(EXIT.nothingFound, `hearth routine: no outbox at ${file}`);
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT value FROM kv WHERE key = ?").get("pipeline.routine") as
      | { value: string }
      | undefined;
    if (!row) throw new CliExit(EXIT.nothingFound, `hearth routine: nothing learned yet in ${file}`);
    const r = new Routine({ learningDays: home?.config.detection.routine.learning_days ?? 14, slowWeeks: 8 });
    r.restore(JSON.parse(row.value) as RoutineState);
    process.stdout.write(`${routineChart(r)}\n`);
  } finally {
    db.close();
  }
}
