import { readFileSync } from "node:fs";
import { loadConfigFile } from "../config/load.js";
import { parseDuration } from "../core/duration.js";
import { parsePrivateKey } from "../core/ed25519-keys.js";
import { errorMessage, isHearthError } from "../core/errors.js";
import { awaitResult } from "../privileged/index.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { signReleaseFile } from "../update/signature.js";
import { stageRelease } from "../update/stage.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson, printProblems } from "./io.js";

function read(file: string, what: string, command: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CliExit(EXIT.failed, `hearth ${command}: ${what} ${file}: ${errorMessage(e)}`);
  }
}

/**
 * `hearth update <release.tar.gz>`: checks the signature (`--sig`, default `<file>.sig`) with the
 * config's release key before anything changes, then asks the root helper to switch to it and waits
 * for its verdict: healthy, or rolled back (the same path as the cloud's `update` command).
 */
export async function updateCommand(
  tarball: string,
  opts: { config: string; sig?: string; wait: string },
): Promise<void> {
  const waitMs = parseDuration(opts.wait);
  if (waitMs === undefined || waitMs <= 0)
    throw new CliExit(EXIT.usage, `hearth update: --wait ${opts.wait}: not a duration (e.g. 5m)`);
  const parsed = loadConfigFile(opts.config, loadCatalogue().profiles);
  if (!parsed.ok) {
    printProblems(`${opts.config} is not a valid Hearth config`, parsed.problems);
    throw new CliExit(EXIT.failed);
  }
  const bytes = read(tarball, "release", "update");
  const sig = read(opts.sig ?? `${tarball}.sig`, "signature", "update").toString("utf8");
  let id: string;
  try {
    id = stageRelease(parsed.value.state_dir, bytes, sig, parsed.value.cloud.release_public_key).id;
  } catch (e) {
    if (isHearthError(e)) throw new CliExit(EXIT.failed, `hearth update: ${e.message}`);
    throw e;
  }
  process.stderr.write(
    `hearth update: signature good; the root helper unpacks, switches and waits for the agent to be healthy (up to ${opts.wait})…\n`,
  );
  try {
    const result = await awaitResult(parsed.value.state_dir, id, waitMs);
    printJson(result);
    if (!result.ok) throw new CliExit(EXIT.failed, `hearth update: ${result.message}`);
  } catch (e) {
    if (e instanceof CliExit) throw e;
    throw new CliExit(EXIT.failed, `hearth update: ${errorMessage(e)}`);
  }
}

/** `hearth release sign --key <pem> <release.tar.gz>`: writes `<file>.sig` with the release key. */
export function releaseSignCommand(tarball: string, opts: { key: string }): void {
  try {
    const key = parsePrivateKey(read(opts.key, "key", "release sign").toString("utf8"));
    const out = signReleaseFile(tarball, key);
    printJson({ ok: true, signature: out });
  } catch (e) {
    if (e instanceof CliExit) throw e;
    throw new CliExit(EXIT.failed, `hearth release sign: ${errorMessage(e)}`);
  }
}
