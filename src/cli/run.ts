import { SystemClock } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import { randomIds } from "../core/ids.js";
import { createLogger, type Logger } from "../core/log.js";
import { packageVersion } from "../core/paths.js";
import { timesyncdSynced } from "../core/time-sync.js";
import { CliExit, EXIT } from "./exit.js";
import { resolveConfigInChild } from "./resolve-config.js";

/** `hearth run`: the real agent for one home, until SIGTERM or SIGINT. */
export async function runCommand(opts: { config: string; stateDir?: string }): Promise<void> {
  // Checked in a child process, so that the YAML parser and the schemas never load here.
  const resolved = await resolveConfigInChild(opts.config);
  const config = resolved.config;
  const log = createLogger({ level: process.env.HEARTH_LOG_LEVEL ?? config.log_level });
  const { Agent } = await import("../agent/agent.js");
  // Every timer body guarded in one place: a throw is logged and the timer runs again next time.
  const clock = new SystemClock({
    synced: timesyncdSynced(),
    onTimerError: (err) => log.error({ err }, "Timer body failed; the timer keeps running"),
  });
  // Under systemd (Type=notify) only: nothing of the notify path loads otherwise (footprint).
  const service = process.env.NOTIFY_SOCKET ? await import("../service/interval-watch.js") : undefined;
  const tick = service?.watchIntervals(clock, service.testKnobs(process.env));
  const agent = new Agent({
    config,
    profiles: new Map(resolved.profiles),
    host: {
      clock,
      netClock: clock,
      ids: randomIds,
      log,
      version: packageVersion(),
      ...(tick ? { pipelineClock: tick.clock } : {}),
    },
    ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
    configPath: opts.config,
  });
  const supervision = tick
    ? (await import("../service/supervise.js")).superviseBySystemd({
        env: process.env,
        log,
        unhealthy: () => tick.late() ?? outboxUnreadable(agent.outbox),
      })
    : undefined;
  // Listening before the start: a SIGTERM while the agent starts (systemd stopping a slow start) must
  // stop it cleanly after the start, not kill the process half-started.
  const stopAsked = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  exitOnUnexpected(log, () => agent.stop());
  try {
    await agent.start();
  } catch (e) {
    log.fatal({ err: e }, "Agent failed to start");
    await agent.stop().catch(() => undefined);
    throw new CliExit(EXIT.failed, `hearth run: ${errorMessage(e)}`);
  }
  supervision?.ready();
  await stopAsked;
  supervision?.stopping();
  await agent.stop();
}

/** Why the outbox does not answer a read (the watchdog's second check), or undefined when it does. */
function outboxUnreadable(outbox: { depth(): unknown }): string | undefined {
  try {
    outbox.depth();
    return undefined;
  } catch (e) {
    return `the outbox does not answer a read: ${errorMessage(e)}`;
  }
}

/** How long a fatal error leaves for the agent to stop before the process exits anyway. */
export const FATAL_STOP_MS = 20_000;

/**
 * An error nothing caught (a timer body, a promise without a handler) leaves the agent in a state no
 * one designed: it is logged as fatal with where it came from, the agent gets a bounded try at
 * stopping (outbox closed, uplink ended), and the process exits 1 for systemd to restart it. Never a
 * silent half-life.
 */
export function exitOnUnexpected(
  log: Logger,
  stop: () => Promise<void>,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  let exiting = false;
  const fatal = (origin: "uncaughtException" | "unhandledRejection") => (err: unknown) => {
    log.fatal({ err, origin }, `Unexpected error (${origin}): stopping, exit 1 for a restart`);
    if (exiting) return;
    exiting = true;
    const timer = setTimeout(() => {
      log.fatal({ origin, waited_ms: FATAL_STOP_MS }, "Agent did not stop in time: exiting");
      exit(1);
    }, FATAL_STOP_MS);
    timer.unref();
    stop()
      .catch((e: unknown) => log.fatal({ err: e }, "Agent stop after an unexpected error failed"))
      .finally(() => {
        clearTimeout(timer);
        exit(1);
      });
  };
  process.on("uncaughtException", fatal("uncaughtException"));
  process.on("unhandledRejection", fatal("unhandledRejection"));
}
