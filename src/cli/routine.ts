import { existsSync } from "node:fs";
import { join } from "node:path";
import type { HearthConfig } from "../config/schema.js";
import { ErrorCode, isHearthError } from "../core/errors.js";
import { OUTBOX_FILE } from "../outbox/types.js";
import { storedRoutine } from "../pipeline/learned-models.js";
import { detectionOptions } from "../pipeline/options.js";
import { type Routine, routineChart } from "../pipeline/routine.js";
import { fileLineBatches } from "../replay/file-lines.js";
import { runReplay } from "../replay/run.js";
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
    const res = await runReplay(fileLineBatches(o.input), {
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
  const file = join(dir, OUTBOX_FILE);
  if (!existsSync(file)) throw new CliExit(EXIT.nothingFound, `hearth routine: no outbox at ${file}`);
  const routine = await readLearnedRoutine(dir, file, home?.config);
  if (!routine) throw new CliExit(EXIT.nothingFound, `hearth routine: nothing learned yet in ${file}`);
  process.stdout.write(`${routineChart(routine)}\n`);
}

/**
 * The routine the agent learned, read from its outbox's key/value store (opened read-only, so a
 * stopped agent's file is not changed) the way the pipeline reads it at start (learned-models.ts),
 * with the config's learning period when there is a config. A running agent holds the file to itself:
 * then it is asked over its control socket for the same stored value.
 */
async function readLearnedRoutine(
  dir: string,
  file: string,
  config: HearthConfig | undefined,
): Promise<Routine | undefined> {
  const options = config ? detectionOptions(config.detection) : {};
  const { readOnlyKeyValue } = await import("../outbox/index.js");
  let store: ReturnType<typeof readOnlyKeyValue> | undefined;
  try {
    store = readOnlyKeyValue(file);
    return storedRoutine(store.kv, options);
  } catch (e) {
    if (!isHearthError(e, ErrorCode.OutboxInUse)) throw e;
  } finally {
    store?.close();
  }
  const { controlRequest } = await import("../control/client.js");
  const { socketPath } = await import("../control/socket.js");
  const reply = (await controlRequest(socketPath(dir), { cmd: "learned_routine" })) as {
    state: string | null;
  };
  const state = reply.state;
  return storedRoutine({ get: () => state ?? undefined, set: () => undefined }, options);
}
