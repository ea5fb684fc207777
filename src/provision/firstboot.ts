import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { ProvisionValues } from "./values.js";

/**
 * Where a flashed gateway's provisioning file is looked for, first match wins: Raspberry Pi OS
 * bookworm mounts the boot partition at /boot/firmware, older images at /boot.
 */
export const PROVISION_FILES = [
  "/boot/firmware/hearth-provision.yaml",
  "/boot/hearth-provision.yaml",
] as const;

/** In the state directory: what the last first boot did, for `hearth doctor`. */
export const FIRSTBOOT_STATUS = "firstboot.json";

export interface FirstbootStatus {
  ok: boolean;
  /** ISO time. */
  at: string;
  /** The provisioning file (as the gateway sees it, without --root). */
  file: string;
  /** What was done, or why the gateway is still unprovisioned. */
  message: string;
  /** Files removed from the boot partition. */
  removed?: string[];
}

/** The first provisioning file present under `root`, as [path under root, path on the gateway]. */
export function findProvisionFile(root: string): [string, string] | undefined {
  for (const f of PROVISION_FILES) {
    const p = join(root, f);
    if (existsSync(p)) return [p, f];
  }
  return undefined;
}

/**
 * The files a provisioning file names that hold secrets (the client's private key, the broker
 * password), resolved against the file's directory: removed from the boot partition once installed.
 * Certificates and the cloud's public key are not secret and stay, with the file itself gone.
 */
export function secretFiles(values: ProvisionValues, dir: string): string[] {
  return [values.key, values.passwordFile]
    .filter((f): f is string => f !== undefined && f !== "" && f !== "-")
    .map((f) => (isAbsolute(f) ? f : resolve(dir, f)));
}

export function writeFirstbootStatus(stateDir: string, status: FirstbootStatus): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o750 });
  const path = join(stateDir, FIRSTBOOT_STATUS);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
}

/** The recorded outcome, or undefined when there is none or it is not readable as one. */
export function readFirstbootStatus(text: string | undefined): FirstbootStatus | undefined {
  if (text === undefined) return undefined;
  try {
    const s = JSON.parse(text) as Partial<FirstbootStatus>;
    if (typeof s.ok !== "boolean" || typeof s.message !== "string") return undefined;
    return { ok: s.ok, at: String(s.at ?? ""), file: String(s.file ?? ""), message: s.message };
  } catch {
    return undefined;
  }
}

/** The directory a provisioning file's relative paths are read from. */
export const provisionDir = (file: string): string => dirname(file);

/** Reads a file or returns undefined. */
export function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
