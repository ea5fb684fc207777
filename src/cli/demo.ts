import { createLogger } from "../core/log.js";
import { CliExit } from "./exit.js";

export async function demoCommand(opts: {
  forever?: boolean;
  speed: number;
  stateDir?: string;
}): Promise<void> {
  if (!Number.isFinite(opts.speed) || opts.speed <= 0)
    throw new CliExit(2, `hearth demo: --speed must be a positive number, got ${opts.speed}`);
  const { runDemo } = await import("../sim/demo.js");
  const { startDemoReceiver } = await import("./demo-receiver.js");
  const code = await runDemo({
    speed: opts.speed,
    forever: opts.forever ?? false,
    ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
    // The console cloud is the show; the agent's own log lines (JSON on stderr) only for errors unless asked.
    log: createLogger({ level: process.env.HEARTH_LOG_LEVEL ?? "error" }),
    write: (l) => process.stdout.write(`${l}\n`),
    receiver: startDemoReceiver,
  });
  if (code !== 0) throw new CliExit(code);
}
