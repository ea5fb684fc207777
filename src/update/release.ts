import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";

const run = promisify(execFile);

/** A version as a directory name: what package.json says, nothing that could climb out of releases/. */
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;

/** `cloud.release_public_key` of the config text, read without the full validation (no profiles needed). */
export function releaseKeyText(configText: string): string | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(configText);
  } catch (e) {
    throw new HearthError(`the config is not YAML: ${errorMessage(e)}`, ErrorCode.ConfigInvalid);
  }
  const cloud = (doc as { cloud?: { release_public_key?: unknown } } | null)?.cloud;
  const k = cloud?.release_public_key;
  return typeof k === "string" ? k : undefined;
}

/**
 * Unpacks a (verified) release tarball into `<optDir>/releases/<version>` and returns the version. The
 * tarball must hold one directory `hearth-<version>/` with a package.json of that version and the
 * compiled CLI; anything else is refused and nothing is left behind. Ownership is not taken from the
 * archive (`--no-same-owner`): the files belong to whoever unpacks, root on a gateway.
 */
export async function unpackRelease(
  tarball: string,
  optDir: string,
): Promise<{ version: string; dir: string }> {
  const releases = join(optDir, "releases");
  mkdirSync(releases, { recursive: true, mode: 0o755 });
  const staging = mkdtempSync(join(releases, ".staging-"));
  try {
    try {
      await run("tar", ["-xzf", tarball, "-C", staging, "--no-same-owner", "--no-same-permissions"], {
        timeout: 300_000,
      });
    } catch (e) {
      throw new HearthError(`the release does not unpack: ${errorMessage(e)}`, ErrorCode.CommandFailed);
    }
    const top = readdirSync(staging);
    const only = top[0];
    if (top.length !== 1 || only === undefined || !/^hearth-/.test(only))
      throw new HearthError(
        `the release must hold one directory hearth-<version>/, found: ${top.join(", ") || "nothing"}`,
        ErrorCode.CommandFailed,
      );
    const root = join(staging, only);
    let version: unknown;
    try {
      version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: unknown })
        .version;
    } catch (e) {
      throw new HearthError(`the release's package.json: ${errorMessage(e)}`, ErrorCode.CommandFailed);
    }
    if (typeof version !== "string" || !VERSION.test(version) || only !== `hearth-${version}`)
      throw new HearthError(
        `the release's directory ${only} and its package.json version ${String(version)} do not agree`,
        ErrorCode.CommandFailed,
      );
    if (!existsSync(join(root, "dist/src/cli/main.js")))
      throw new HearthError(
        "the release has no dist/src/cli/main.js: not a built release",
        ErrorCode.CommandFailed,
      );
    const dir = join(releases, version);
    if (currentTarget(optDir) === dir)
      throw new HearthError(`release ${version} is already the one running`, ErrorCode.CommandRefused);
    rmSync(dir, { recursive: true, force: true });
    renameSync(root, dir);
    return { version, dir };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Where `<optDir>/current` points (absolute), or undefined when there is no link yet. */
export function currentTarget(optDir: string): string | undefined {
  try {
    const t = readlinkSync(join(optDir, "current"));
    return t.startsWith("/") ? t : join(optDir, t);
  } catch {
    return undefined;
  }
}

/**
 * Points `<optDir>/current` at `dir`, atomically: a new link beside it renamed over it, so the unit
 * never finds no `current`. The link is relative (releases/<version>), so it stays right under any root.
 */
export function switchCurrent(optDir: string, dir: string): void {
  const tmp = join(optDir, ".current.tmp");
  rmSync(tmp, { force: true });
  symlinkSync(join("releases", basename(dir)), tmp);
  renameSync(tmp, join(optDir, "current"));
}
