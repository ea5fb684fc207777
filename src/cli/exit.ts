/** Exit codes of every `hearth` command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, nothingFound: 3 } as const;

/** Thrown by a command to end with a code after printing its message on stderr. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message = "",
  ) {
    super(message);
  }
}
