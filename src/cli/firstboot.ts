import { rmSync } from "node:fs";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { createLogger } from "../core/log.js";
import { underRoot } from "../privileged/paths.js";
import {
  findProvisionFile,
  provisionDir,
  readIfThere,
  secretFiles,
  writeFirstbootStatus,
} from "../provision/firstboot.js";
import { valuesFromText } from "../provision/values.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

export interface FirstbootFlags {
  root: string;
  config: string;
  stateDir: string;
  user: string;
  group: string;
}

/**
 * `hearth firstboot` (hearth-firstboot.service, before hearth.service): provisions from the boot
 * partition's hearth-provision.yaml as `hearth provision --from FILE --yes --no-broker-check` would
 * (relative paths in it are read from its own directory; no network is assumed this early), then
 * removes the file and the secrets it named from the boot partition. A file that does not provision
 * leaves everything as it was, the reason in the journal and in the state directory for `hearth
 * doctor`; it is tried again at the next boot, after someone has corrected it.
 */
export async function firstbootCommand(flags: FirstbootFlags): Promise<void> {
  const log = createLogger().child({ module: "firstboot" });
  const found = findProvisionFile(flags.root);
  if (!found) {
    log.info("No provisioning file on the boot partition: nothing to do");
    printJson({ ok: true, provisioned: false });
    return;
  }
  const [file, shown] = found;
  const under = (p: string) => (flags.root === "/" ? p : underRoot(flags.root, p));
  const stateDir = under(flags.stateDir);
  const at = new Date().toISOString();
  // What provision says about a bad file goes to stderr (the journal); kept too, for the reason.
  const said: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    said.push(String(chunk));
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  let secrets: string[] = [];
  try {
    const text = readIfThere(file);
    if (text === undefined) throw new HearthError(`${shown}: cannot be read`, ErrorCode.ConfigNotFound);
    secrets = secretFiles(valuesFromText(text, shown), provisionDir(file));
    const cwd = process.cwd();
    process.chdir(provisionDir(file));
    try {
      const { provisionCommand } = await import("./provision.js");
      await provisionCommand({
        config: under(flags.config),
        from: file,
        user: flags.user,
        group: flags.group,
        yes: true,
        brokerCheck: false,
      });
    } finally {
      process.chdir(cwd);
    }
  } catch (e) {
    process.stderr.write = write;
    const reason = [errorMessage(e), ...said.map((s) => s.trim())].filter((s) => s !== "").join("; ");
    const message = `not provisioned: ${shown}: ${reason || "provision failed"}`;
    writeFirstbootStatus(stateDir, { ok: false, at, file: shown, message });
    log.error({ file: shown, reason }, `First boot: ${message}`);
    throw new CliExit(EXIT.failed, `hearth firstboot: ${message}`);
  }
  process.stderr.write = write;
  // Deletion on a FAT boot partition (an SD card) is not erasure: docs/deployment.md says so.
  const removed: string[] = [];
  for (const f of [...secrets, file]) {
    try {
      rmSync(f);
      removed.push(f);
    } catch (e) {
      log.warn({ file: f, err: e }, `First boot: could not remove ${f}: ${errorMessage(e)}`);
    }
  }
  const message = `provisioned from ${shown}; removed ${removed.length} file(s) from the boot partition`;
  writeFirstbootStatus(stateDir, { ok: true, at, file: shown, message, removed });
  log.info({ file: shown, removed }, `First boot: ${message}`);
}
