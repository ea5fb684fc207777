import type { Logger } from "../core/log.js";

/**
 * The boundary between the unprivileged agent and root (docs/decisions/privilege-boundary.md). The agent
 * never does a root thing itself: it writes a request file into its state directory; a one-shot root
 * helper (started by a systemd path unit) reads it, checks it with the action's own `parse`, runs it,
 * and writes a result file the agent waits for. Every action validates its arguments itself: a request
 * file is written by a process that may be compromised.
 */
export interface PrivilegedRequest {
  /** Unique per request, time first; also the request and result file names. */
  readonly id: string;
  readonly action: string;
  readonly args: unknown;
  /** ISO time the agent wrote it; requests older than REQUEST_MAX_AGE_MS are refused. */
  readonly requested_at: string;
}

export interface PrivilegedResult {
  readonly id: string;
  readonly action: string;
  readonly ok: boolean;
  /** One sentence for logs and command replies: what was done, or why nothing was. */
  readonly message: string;
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly finished_at: string;
}

/** What an action may touch. Tests point `root` at a throwaway directory; production uses "/". */
export interface PrivilegedContext {
  /** Every absolute path an action writes is joined under this (paths.ts `underRoot`). */
  readonly root: string;
  readonly log: Logger;
  readonly now: () => Date;
}

export interface PrivilegedAction<A> {
  readonly name: string;
  /** Checks untrusted arguments; throws a HearthError whose message names the bad field. */
  parse(args: unknown): A;
  run(args: A, ctx: PrivilegedContext): Promise<{ message: string; detail?: Record<string, unknown> }>;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds actions of different argument types; each parses its own.
export type AnyPrivilegedAction = PrivilegedAction<any>;

/** A request older than this is refused: a stale request must not run after an unrelated restart. */
export const REQUEST_MAX_AGE_MS = 10 * 60_000;
