import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

export type { Logger } from "pino";

/** Keys that hold secrets anywhere in a logged object. */
export const REDACT_PATHS = [
  "password",
  "key",
  "bind_key",
  "*.password",
  "*.key",
  "*.bind_key",
  "*.*.password",
  "*.*.key",
  "config.cloud.brokers[*].password",
  "config.cloud.brokers[*].tls.key",
  "config.devices[*].key",
];

export interface LogOptions {
  level?: string;
  /** Where lines go; default stderr, so that stdout stays for data. */
  destination?: DestinationStream;
}

/** The one root logger; parts get children (`log.child({ module: "outbox" })`). */
export function createLogger(options: LogOptions = {}): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? process.env.HEARTH_LOG_LEVEL ?? "info",
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
  return pino(opts, options.destination ?? pino.destination({ fd: 2, sync: true }));
}

let silent: Logger | undefined;

/**
 * A logger that drops everything, for tests and library use. One for the whole process: a pino
 * instance keeps ~1.4 KiB alive after it is dropped, so making one per use grows the heap wherever
 * parts are built in a loop (replays, evaluations, fuzzing). Nothing sets a level on it.
 */
export function silentLogger(): Logger {
  silent ??= pino({ level: "silent" });
  return silent;
}
