import { loadConfigFile } from "../config/load.js";
import { controlRequest } from "../control/client.js";
import { socketPath } from "../control/socket.js";
import { parseDuration } from "../core/duration.js";
import { packageVersion } from "../core/paths.js";
import { runDoctor } from "../doctor/doctor.js";
import { realProbes } from "../doctor/real-probes.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { writeBundle } from "../support/bundle.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

/** `hearth support-bundle`: see src/support/bundle.ts. */
export async function supportBundleCommand(opts: {
  config: string;
  out?: string;
  withBodies?: boolean;
  since: string;
}): Promise<void> {
  const sinceMs = parseDuration(opts.since);
  if (sinceMs === undefined || sinceMs <= 0)
    throw new CliExit(EXIT.usage, `hearth support-bundle: --since ${opts.since}: not a duration (e.g. 6h)`);
  const cat = loadCatalogue();
  const parsed = loadConfigFile(opts.config, cat.profiles);
  const stateDir = parsed.ok ? parsed.value.state_dir : "/var/lib/hearth";
  const home = parsed.ok ? parsed.value.home.id : "unknown";
  const stamp = new Date().toISOString().replace(/[:.]/g, "").slice(0, 15);
  const out = opts.out ?? `hearth-support-${home}-${stamp}.tar.gz`;
  process.stderr.write("support-bundle: collecting status, doctor, outbox, journal…\n");
  const result = await writeBundle({
    configPath: opts.config,
    stateDir,
    out,
    withBodies: opts.withBodies === true,
    sinceS: Math.round(sinceMs / 1000),
    version: packageVersion(),
    status: () => controlRequest(socketPath(stateDir), { cmd: "status" }),
    doctor: () =>
      runDoctor(
        { config: opts.config, profiles: cat.profiles, catalogueProblems: cat.problems },
        realProbes(),
      ),
  });
  printJson({ ok: true, ...result });
}
