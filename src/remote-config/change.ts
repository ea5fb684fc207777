import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml, stringify } from "yaml";
import { parseConfig } from "../config/load.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { formatProblem } from "../core/yaml-validate.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { configHash, restoreRedacted } from "./redact.js";

export interface ConfigChange {
  /** The hash of the file the change was made against (config_get's). */
  replaces: string;
  /** A whole new config (YAML), or */
  config?: string | undefined;
  /** an RFC 7396 merge patch of the current one. */
  patch?: Record<string, unknown> | undefined;
}

/** RFC 7396: objects merge key by key, null removes, anything else (arrays too) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function doc(text: string, what: string): Record<string, unknown> {
  let d: unknown;
  try {
    d = parseYaml(text);
  } catch (e) {
    throw new HearthError(`${what} is not YAML: ${errorMessage(e).split("\n")[0]}`, ErrorCode.CommandInvalid);
  }
  if (d === null || typeof d !== "object" || Array.isArray(d))
    throw new HearthError(`${what} is not a mapping of settings`, ErrorCode.CommandInvalid);
  return d as Record<string, unknown>;
}

/** The settings no remote change may touch: what authorises commands and releases. */
function keysOf(d: Record<string, unknown>): unknown[] {
  const cloud = (d.cloud ?? {}) as Record<string, unknown>;
  return [cloud.commands ?? null, cloud.release_public_key ?? null];
}

/**
 * The new config text for a config_set against `current` (the file's text), checked as `hearth
 * validate` checks a file (the same parser and cross-checks, the same messages): refused when the
 * hash is stale, when the keys would change, or when it is not valid. Throws a HearthError saying why.
 */
export function changedConfig(
  current: string,
  change: ConfigChange,
  file: string,
  profiles: ReadonlyMap<string, DeviceProfile>,
): string {
  if (configHash(current) !== change.replaces)
    throw new HearthError(
      "the config changed since the hash this change replaces (config_get again): nothing changed",
      ErrorCode.CommandRefused,
    );
  const old = doc(current, "the current config");
  const next =
    change.config !== undefined
      ? (restoreRedacted(doc(change.config, "the new config"), old) as Record<string, unknown>)
      : (mergePatch(old, change.patch ?? {}) as Record<string, unknown>);
  const text = `# Written by config_set; hearth validate checks it.\n${stringify(next, { lineWidth: 0 })}`;
  checkNext(current, text, file, profiles);
  return text;
}

/**
 * Throws unless `next` (a config text) may replace `current`: the same command and release keys, and
 * valid as `hearth validate` sees a file. The root helper runs it again on what it is asked to write.
 */
export function checkNext(
  current: string,
  next: string,
  file: string,
  profiles: ReadonlyMap<string, DeviceProfile>,
): void {
  if (!isDeepStrictEqual(keysOf(doc(current, "the current config")), keysOf(doc(next, "the new config"))))
    throw new HearthError(
      "config_set cannot change cloud.commands (the command key) or cloud.release_public_key (the release key): change them with hearth provision at the gateway",
      ErrorCode.CommandRefused,
    );
  // The outbox and the control socket live there: a remote move would strand what is pending, and
  // the health check after the restart would look at the old place.
  if (!isDeepStrictEqual(doc(current, "the current config").state_dir, doc(next, "the new config").state_dir))
    throw new HearthError(
      "config_set cannot change state_dir (the outbox and control socket live there): change it at the gateway",
      ErrorCode.CommandRefused,
    );
  const parsed = parseConfig(next, file, profiles);
  if (!parsed.ok)
    throw new HearthError(
      `${file} would not be a valid Hearth config: ${parsed.problems.map(formatProblem).join("; ")}`,
      ErrorCode.CommandInvalid,
    );
}
