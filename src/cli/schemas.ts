import { generatedSchemas, staleSchemas, writeSchemas } from "../schemas.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

export function schemasCommand(opts: { write?: boolean; check?: boolean }): void {
  if (opts.write) {
    for (const f of writeSchemas()) process.stderr.write(`wrote ${f}\n`);
    return;
  }
  if (opts.check) {
    const stale = staleSchemas();
    if (stale.length > 0)
      throw new CliExit(EXIT.failed, `schemas out of date (run npm run schemas): ${stale.join(", ")}`);
    process.stderr.write("schemas up to date\n");
    return;
  }
  printJson(Object.fromEntries(generatedSchemas()));
}
