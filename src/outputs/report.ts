import { ErrorCode, HearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { ToolResult } from "./tool.js";

/**
 * Logs a failed output once per tool and reason (a missing espeak-ng would otherwise be logged at every
 * prompt), as a HearthError with its code so the operator can tell a missing tool from a busy device.
 */
export class OutputFailures {
  readonly #seen = new Set<string>();
  constructor(readonly log: Logger) {}

  report(what: string, r: Exclude<ToolResult, { ok: true }>, context: Record<string, unknown>): void {
    const code = r.missing ? ErrorCode.OutputToolMissing : ErrorCode.OutputFailed;
    const err = new HearthError(`${what}: ${r.reason}`, code, {
      ...context,
      ...(r.exitCode !== undefined ? { exit_code: r.exitCode } : {}),
      ...(r.stderr ? { stderr: r.stderr } : {}),
    });
    const key = `${code}:${r.reason}`;
    if (this.#seen.has(key)) {
      this.log.debug({ err }, `${what} failed again`);
      return;
    }
    this.#seen.add(key);
    this.log.error({ err }, `${what} failed: ${r.reason}`);
  }
}
