/**
 * Child for fatal.test.ts: `hearth run`'s process-level handlers with a stand-in agent whose stop
 * prints "stopped", then an error nobody catches, from a timer (argv[2] = "throw") or a promise
 * without a handler ("reject"). The parent checks the fatal log line, the stop and exit status 1.
 */
import { exitOnUnexpected } from "../../src/cli/run.js";
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/log.js";

const log = createLogger({ level: "info" });
exitOnUnexpected(log, () => {
  process.stdout.write("stopped\n");
  return Promise.resolve();
});
const kind = process.argv[2];
setTimeout(() => {
  if (kind === "reject") void Promise.reject(new HearthError("a promise nobody awaited", ErrorCode.Internal));
  else throw new HearthError("a timer body that threw", ErrorCode.Internal);
}, 10);
// Something keeps the loop alive, as the agent's timers do.
setInterval(() => undefined, 1000);
