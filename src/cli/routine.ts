import { existsSync } from "node:fs";
import { join } from "node:path";
import type { HearthConfig } from "../config/schema.js";
import { SystemClock } from "../core/clock.js";
import { randomIds } from "../core/ids.js";
import { silentLogger } from "../core/log.js";
import { SECOND_MS } from "../core/time.js";
import { storedRoutine } from "../pipeline/learned-models.js";
import { detectionOptions } from "../pipeline/options.js";
import { type Routine, routineChart } from "../pipeline/routine.js";
import { fileLines, runReplay } from "../replay/run.js";
import { CliExit, EXIT } from "./exit.js";
import { loadHome } from "./replay.js";

/**
 * `hearth routine`: the learned routine as a text chart, from the agent's state directory (the
 * outbox's key/value store) or learned afresh from a replay of readings.
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
  const routine = await readLearnedRoutine(file, home?.config);
  if (!routine) throw new CliExit(EXIT.nothingFound, `hearth routine: nothing learned yet in ${file}`);
  process.stdout.write(`${routineChart(routine)}\n`);
}

/**
 * The routine the agent learned, read from its outbox's key/value store the way the pipeline reads it
 * at start (learned-models.ts), with the config's learning period when there is a config.
 */
async function readLearnedRoutine(
  file: string,
  config: HearthConfig | undefined,
): Promise<Routine | undefined> {
  const { SqliteOutbox } = await import("../outbox/index.js");
  const outbox = new SqliteOutbox({
    path: file,
    home: config?.home.id ?? "routine",
    timeZone: config?.home.timezone ?? "UTC",
    clock: new SystemClock(),
    ids: randomIds,
    // Only read here: nothing is written, and no delivered message is old enough to be pruned on open.
    maxSizeBytes: Number.MAX_SAFE_INTEGER,
    retentionMs: Number.MAX_SAFE_INTEGER,
    telemetryBatch: 1,
    telemetryFlushMs: SECOND_MS,
    log: silentLogger(),
  });
  outbox.open();
  try {
    return storedRoutine(outbox.kv, config ? detectionOptions(config.detection) : {});
  } finally {
    outbox.close();
  }
}
