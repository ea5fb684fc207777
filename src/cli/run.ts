import { loadConfigFile } from "../config/load.js";
import { SystemClock } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import { randomIds } from "../core/ids.js";
import { createLogger } from "../core/log.js";
import { packageVersion } from "../core/paths.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { CliExit, EXIT } from "./exit.js";
import { printProblems } from "./io.js";

/** `hearth run`: the real agent for one home, until SIGTERM or SIGINT. */
export async function runCommand(opts: { config: string; stateDir?: string }): Promise<void> {
  const catalogue = loadCatalogue();
  if (catalogue.problems.length > 0)
    printProblems("Some device profiles are broken and were skipped", catalogue.problems);
  const parsed = loadConfigFile(opts.config, catalogue.profiles);
  if (!parsed.ok) {
    printProblems(`${opts.config} is not a valid Hearth config`, parsed.problems);
    throw new CliExit(EXIT.failed);
  }
  const config = parsed.value;
  const log = createLogger({ level: process.env.HEARTH_LOG_LEVEL ?? config.log_level });
  const { Agent } = await import("../agent/agent.js");
  const clock = new SystemClock();
  const agent = new Agent({
    config,
    profiles: catalogue.profiles,
    host: { clock, netClock: clock, ids: randomIds, log, version: packageVersion() },
    ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
  });
  // Listening before the start: a SIGTERM while the agent starts (systemd stopping a slow start) must
  // stop it cleanly after the start, not kill the process half-started.
  const stopAsked = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  try {
    await agent.start();
  } catch (e) {
    log.fatal({ err: e }, "Agent failed to start");
    await agent.stop().catch(() => undefined);
    throw new CliExit(EXIT.failed, `hearth run: ${errorMessage(e)}`);
  }
  await stopAsked;
  await agent.stop();
}
