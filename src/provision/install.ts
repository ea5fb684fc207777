import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { InstallFile } from "./build.js";

export interface Owners {
  /** The agent's user: owns the private key. */
  uid: number;
  /** The config's group (hearth): may read the config, nothing more. */
  gid: number;
}

function idOf(file: string, name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const row = text.split("\n").find((l) => l.split(":")[0] === name);
  const id = row?.split(":")[2];
  return id !== undefined ? Number(id) : undefined;
}

/** The uid of the service user and the gid of the config's group; a clear error when either is missing. */
export function resolveOwners(user: string, group: string): Owners {
  const uid = idOf("/etc/passwd", user);
  if (uid === undefined)
    throw new HearthError(
      `user "${user}" does not exist: create it first (deploy/install.sh does), or pass --user`,
      ErrorCode.ConfigInvalid,
      { user },
    );
  const gid = idOf("/etc/group", group);
  if (gid === undefined)
    throw new HearthError(
      `group "${group}" does not exist: create it first (deploy/install.sh does), or pass --group`,
      ErrorCode.ConfigInvalid,
      { group },
    );
  return { uid, gid };
}

/**
 * Puts the certificates and the key in place, then the config: each written beside its target,
 * given its owner and mode, and renamed over it, so no moment exists where the key is readable by
 * others or the agent reads half a config.
 */
export function installFiles(
  files: readonly InstallFile[],
  config: { path: string; text: string },
  o: Owners,
): void {
  for (const f of files) {
    mkdirSync(dirname(f.to), { recursive: true, mode: 0o755 });
    const tmp = `${f.to}.provision-tmp`;
    writeFileSync(tmp, "", { mode: 0o600 });
    chmodSync(tmp, 0o600);
    copyFileSync(f.from, tmp);
    chownSync(tmp, f.owner === "service" ? o.uid : 0, f.owner === "service" ? o.gid : 0);
    chmodSync(tmp, f.mode);
    renameSync(tmp, f.to);
  }
  mkdirSync(dirname(config.path), { recursive: true, mode: 0o755 });
  const tmp = `${config.path}.provision-tmp`;
  writeFileSync(tmp, "", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  chownSync(tmp, 0, o.gid);
  writeFileSync(tmp, config.text);
  chmodSync(tmp, 0o640);
  renameSync(tmp, config.path);
}
