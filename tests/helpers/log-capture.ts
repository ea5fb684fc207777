import { pino } from "pino";
import { type Logger, REDACT_PATHS } from "../../src/core/log.js";

/**
 * A pino logger (debug level, the agent's redaction) whose lines land parsed in `lines` and raw in
 * `text()`, for asserting what was logged and that no secret was.
 */
export function captureLog(): { log: Logger; lines: Record<string, unknown>[]; text: () => string } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const log = pino(
    { level: "debug", redact: { paths: REDACT_PATHS, censor: "[redacted]" } },
    {
      write(chunk: string) {
        raw.push(chunk);
        for (const l of chunk.split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      },
    },
  );
  return { log, lines, text: () => raw.join("") };
}
