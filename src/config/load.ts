import { readFileSync, statSync } from "node:fs";
import { type Parsed, type Problem, parseYamlWith } from "../core/yaml-validate.js";
import { closestId } from "../profiles/catalogue.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { configSchema, type DeviceConfig, type HearthConfig } from "./schema.js";

type Locate = (path: readonly PropertyKey[]) => { line?: number; column?: number };

/** Which transport keys each protocol needs and allows. */
const KEYS: Record<
  DeviceProfile["protocol"],
  { need: (keyof DeviceConfig)[]; allow: (keyof DeviceConfig)[] }
> = {
  modbus: { need: ["port", "unit_id"], allow: ["port", "unit_id", "baud", "parity", "poll"] },
  dlt645: { need: ["port", "address"], allow: ["port", "address", "baud", "parity", "poll"] },
  cjt188: { need: ["port", "address"], allow: ["port", "address", "baud", "parity", "poll"] },
  bthome: { need: ["mac"], allow: ["mac", "key", "adapter"] },
};
const TRANSPORT_KEYS: (keyof DeviceConfig)[] = [
  "port",
  "baud",
  "parity",
  "unit_id",
  "address",
  "mac",
  "key",
  "adapter",
  "poll",
];

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
    const rule = KEYS[profile.protocol];
    for (const k of rule.need) {
      if (d[k] === undefined) add([...base, k], "nothing", `${k} (a ${profile.protocol} device needs it)`);
    }
    for (const k of TRANSPORT_KEYS) {
      if (d[k] !== undefined && !rule.allow.includes(k))
        add([...base, k], `${k}: ${JSON.stringify(d[k])}`, `no ${k} for a ${profile.protocol} device`);
    }
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

export interface LoadedConfig {
  config: HearthConfig;
  file: string;
}

export function parseConfig(
  text: string,
  file: string,
  profiles: ReadonlyMap<string, DeviceProfile>,
): Parsed<HearthConfig> {
  return parseYamlWith(text, file, configSchema, (cfg, at) => checkConfig(cfg, file, at, profiles));
}

/** Reads and validates a config file; every problem is listed. Never throws for bad input. */
export function loadConfigFile(
  file: string,
  profiles: ReadonlyMap<string, DeviceProfile>,
): Parsed<HearthConfig> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return {
      ok: false,
      problems: [{ file, path: "", message: `cannot read the config file: ${(e as Error).message}` }],
    };
  }
  const parsed = parseConfig(text, file, profiles);
  if (!parsed.ok) return parsed;
  const hasSecret =
    parsed.value.devices.some((d) => d.key !== undefined) ||
    parsed.value.cloud.brokers.some((b) => b.password !== undefined);
  if (hasSecret) {
    try {
      const mode = statSync(file).mode;
      if (mode & 0o004) {
        return {
          ok: false,
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
