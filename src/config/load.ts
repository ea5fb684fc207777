import { readFileSync, statSync } from "node:fs";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { type Problem, parseYamlWith } from "../core/yaml-validate.js";
import { closestId } from "../profiles/catalogue.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { deviceEntry, foreignKeys, type LoadedConfig, missingKeys } from "./devices.js";
import { configSchema, type HearthConfig } from "./schema.js";

type Locate = (path: readonly PropertyKey[]) => { line?: number; column?: number };

/** Cross-checks a schema cannot express: profiles exist, each device has its protocol's keys, unique ids, one setting per line. */
export function checkConfig(
  cfg: HearthConfig,
  file: string,
  at: Locate,
  profiles: ReadonlyMap<string, DeviceProfile>,
): Problem[] {
  const problems: Problem[] = [];
  const add = (path: PropertyKey[], found: string, expected: string) =>
    problems.push({
      file,
      path: path
        .map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
        .join(""),
      ...at(path),
      found,
      expected,
      message: "",
    });
  const ids = new Map<string, number>();
  const lines = new Map<string, { baud: number; parity: string; index: number }>();
  const busAddr = new Map<string, number>();
  cfg.devices.forEach((d, i) => {
    const base: PropertyKey[] = ["devices", i];
    const prev = ids.get(d.id);
    if (prev !== undefined) add([...base, "id"], JSON.stringify(d.id), `an id not used by devices[${prev}]`);
    ids.set(d.id, i);
    const profile = profiles.get(d.profile);
    if (!profile) {
      const near = closestId(d.profile, profiles.keys());
      add(
        [...base, "profile"],
        JSON.stringify(d.profile),
        near ? `a known profile (did you mean "${near}"?)` : `one of ${[...profiles.keys()].join(", ")}`,
      );
      return;
    }
    for (const k of missingKeys(d, profile.protocol))
      add([...base, k], "nothing", `${k} (a ${profile.protocol} device needs it)`);
    for (const k of foreignKeys(d, profile.protocol))
      add([...base, k], `${k}: ${JSON.stringify(d[k])}`, `no ${k} for a ${profile.protocol} device`);
    if (d.port && !d.port.startsWith("tcp://") && profile.protocol !== "bthome" && "serial" in profile) {
      const baud = d.baud ?? profile.serial.baud;
      const parity = d.parity ?? profile.serial.parity;
      const line = lines.get(d.port);
      if (line && (line.baud !== baud || line.parity !== parity)) {
        add(
          [...base, "baud"],
          `${baud} baud, parity ${parity} on ${d.port}`,
          `the same settings as devices[${line.index}] on that line (${line.baud} baud, parity ${line.parity}): one RS-485 line has one setting`,
        );
      } else if (!line) lines.set(d.port, { baud, parity, index: i });
      const addr = `${d.port}|${profile.protocol}|${d.unit_id ?? d.address ?? ""}`;
      const other = busAddr.get(addr);
      if (other !== undefined)
        add(
          [...base, profile.protocol === "modbus" ? "unit_id" : "address"],
          String(d.unit_id ?? d.address),
          `an address not used by devices[${other}] on the same line`,
        );
      busAddr.set(addr, i);
    }
  });
  return problems;
}

/** A config that failed: every problem, and what kind of failure it is. */
export type ConfigFailure = {
  ok: false;
  /** ConfigNotFound: the file cannot be read; ConfigInvalid: it can, and is not a valid config. */
  code: ErrorCode;
  problems: Problem[];
};
export type ConfigResult = { ok: true; value: LoadedConfig } | ConfigFailure;

/** Validates config text; a valid config comes back with its devices typed per protocol. */
export function parseConfig(
  text: string,
  file: string,
  profiles: ReadonlyMap<string, DeviceProfile>,
): ConfigResult {
  const parsed = parseYamlWith(text, file, configSchema, (cfg, at) => checkConfig(cfg, file, at, profiles));
  if (!parsed.ok) return { ok: false, code: ErrorCode.ConfigInvalid, problems: parsed.problems };
  const devices = parsed.value.devices.map((d) => {
    // checkConfig refused any device without a known profile or without its protocol's keys.
    const protocol = profiles.get(d.profile)?.protocol;
    const entry = protocol && deviceEntry(d, protocol);
    if (!entry) throw new HearthError(`device ${d.id} passed the config check untyped`, ErrorCode.Internal);
    return entry;
  });
  return { ok: true, value: { ...parsed.value, devices } };
}

/** Reads and validates a config file; every problem is listed. Never throws for bad input. */
export function loadConfigFile(file: string, profiles: ReadonlyMap<string, DeviceProfile>): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return {
      ok: false,
      code: ErrorCode.ConfigNotFound,
      problems: [{ file, path: "", message: `cannot read the config file: ${errorMessage(e)}` }],
    };
  }
  const parsed = parseConfig(text, file, profiles);
  if (!parsed.ok) return parsed;
  const hasSecret =
    parsed.value.devices.some((d) => d.protocol === "bthome" && d.key !== undefined) ||
    parsed.value.cloud.brokers.some((b) => b.password !== undefined);
  if (hasSecret) {
    try {
      const mode = statSync(file).mode;
      if (mode & 0o004) {
        return {
          ok: false,
          code: ErrorCode.ConfigInvalid,
          problems: [
            {
              file,
              path: "",
              found: `mode ${(mode & 0o777).toString(8)} (anyone can read the keys in it)`,
              expected: `a file not world-readable (chmod 600 ${file})`,
              message: "",
            },
          ],
        };
      }
    } catch {
      // The file was just read; a stat failure here is a race we can ignore.
    }
  }
  return parsed;
}
