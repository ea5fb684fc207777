import { createLogger } from "../core/log.js";
import { boundaryProblem } from "../privileged/boundary.js";
import { runPendingRequests, underRoot } from "../privileged/index.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

export interface PrivilegedRunFlags {
  stateDir: string;
  root: string;
}

/**
 * `hearth privileged run`: the root helper's one pass (hearth-privileged.service, started by
 * hearth-privileged.path when a request appears). Every pending request is answered, each result
 * logged to the journal; the results go to stdout as JSON. Exit 1 only when the boundary itself is
 * wrong (then nothing is read), not for a refused request: that is an answer.
 */
export async function privilegedRunCommand(flags: PrivilegedRunFlags): Promise<void> {
  const log = createLogger().child({ module: "privileged" });
  const stateDir = flags.root === "/" ? flags.stateDir : underRoot(flags.root, flags.stateDir);
  const problem = boundaryProblem(stateDir, process.getuid?.() ?? 0);
  if (problem !== undefined) {
    log.error({ stateDir, problem }, `Privileged requests not read: ${problem}`);
    throw new CliExit(EXIT.failed, `hearth privileged run: not reading requests: ${problem}`);
  }
  const { privilegedActions } = await import("../privileged/actions/index.js");
  const results = await runPendingRequests(stateDir, privilegedActions(), {
    root: flags.root,
    log,
    now: () => new Date(),
  });
  log.info({ requests: results.length, failed: results.filter((r) => !r.ok).length }, "Privileged pass done");
  printJson({ ok: true, results });
}
