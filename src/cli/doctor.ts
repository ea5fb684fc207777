import { formatChecks } from "../doctor/check.js";
import { runDoctor } from "../doctor/doctor.js";
import type { DoctorProbes } from "../doctor/probes.js";
import { realProbes } from "../doctor/real-probes.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

export interface DoctorFlags {
  config: string;
  stateDir?: string;
  user?: string;
  unit?: string;
  json?: boolean;
}

/**
 * `hearth doctor`: one line per check on stdout (✓, ✗ with the fix, – with why it does not apply),
 * or `--json`; exit 1 on any ✗.
 */
export async function doctorCommand(flags: DoctorFlags, probes: DoctorProbes = realProbes()): Promise<void> {
  const cat = loadCatalogue();
  const result = await runDoctor(
    {
      config: flags.config,
      ...(flags.stateDir !== undefined ? { stateDir: flags.stateDir } : {}),
      ...(flags.user !== undefined ? { serviceUser: flags.user } : {}),
      ...(flags.unit !== undefined ? { unit: flags.unit } : {}),
      profiles: cat.profiles,
      catalogueProblems: cat.problems,
      progress: (what) => process.stderr.write(`doctor: ${what}…\n`),
    },
    probes,
  );
  if (flags.json) printJson(result);
  else process.stdout.write(formatChecks(result.checks));
  if (!result.ok) {
    const n = result.checks.filter((c) => c.status === "fail").length;
    throw new CliExit(EXIT.failed, `hearth doctor: ${n} check${n === 1 ? "" : "s"} failed`);
  }
}
