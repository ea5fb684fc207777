import { ErrorCode, HearthError } from "../core/errors.js";

/** Exit codes of every `hearth` command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, nothingFound: 3 } as const;

/**
 * Thrown by a command to end with an exit status after printing its message on stderr. Its error
 * code is Usage for wrong usage, CliFailed for any other failure.
 */
export class CliExit extends HearthError {
  constructor(
    readonly exitCode: number,
    message = "",
  ) {
    super(message, exitCode === EXIT.usage ? ErrorCode.Usage : ErrorCode.CliFailed, { exitCode });
  }
}
