import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { CHANNELS } from "../core/channels.js";
import { packageRoot } from "../core/paths.js";
import { type Parsed, type Problem, parseYamlWith, pathToString } from "../core/yaml-validate.js";
import { MODBUS_TYPE_WORDS } from "./modbus.js";
import { type DeviceProfile, deviceProfile } from "./schema.js";

export function defaultProfileDir(): string {
  return join(packageRoot(), "device-profiles");
}

type Locate = (path: readonly PropertyKey[]) => { line?: number; column?: number };

/**
 * Checks a schema cannot express: units consistent with channels, no overlapping registers, id = file
 * name, a BTHome device's heard_every no shorter than its beacon.
 */
export function checkProfile(p: DeviceProfile, file: string, at: Locate): Problem[] {
  const problems: Problem[] = [];
  const expectedId = basename(file).replace(/\.ya?ml$/, "");
  if (p.id !== expectedId) {
    problems.push({
      file,
      path: "id",
      ...at(["id"]),
      found: JSON.stringify(p.id),
      expected: `${JSON.stringify(expectedId)} (the file name)`,
      message: "",
    });
  }
  const checkUnit = (path: PropertyKey[], channel: string | undefined, unit: string) => {
    if (!channel) return;
    const want = CHANNELS[channel as keyof typeof CHANNELS].unit;
    if (unit !== want) {
      problems.push({
        file,
        path: pathToString([...path, "unit"]),
        ...at([...path, "unit"]),
        found: JSON.stringify(unit),
        expected: `${JSON.stringify(want)} for channel ${channel}`,
        message: "",
      });
    }
  };
  if (p.protocol === "modbus") {
    const regs = p.modbus.registers;
    const names = new Set<string>();
    regs.forEach((r, i) => {
      const path = ["modbus", "registers", i];
      if (names.has(r.name))
        problems.push({
          file,
          path: `modbus.registers[${i}].name`,
          ...at([...path, "name"]),
          found: JSON.stringify(r.name),
          expected: "a name not used by another register",
          message: "",
        });
      names.add(r.name);
      checkUnit(path, r.channel, r.unit);
      const end = r.address + MODBUS_TYPE_WORDS[r.type];
      regs.forEach((o, j) => {
        if (j >= i || o.table !== r.table) return;
        const oEnd = o.address + MODBUS_TYPE_WORDS[o.type];
        if (r.address < oEnd && o.address < end) {
          problems.push({
            file,
            path: `modbus.registers[${i}].address`,
            ...at([...path, "address"]),
            found: `${r.name} at ${r.address}..${end - 1}`,
            expected: `no overlap with ${o.name} at ${o.address}..${oEnd - 1}`,
            message: "",
          });
        }
      });
    });
  } else if (p.protocol === "dlt645") {
    for (const [i, d] of p.dlt645.identifiers.entries())
      checkUnit(["dlt645", "identifiers", i], d.channel, d.unit);
  } else if (p.protocol === "bthome" && p.heard_every !== undefined) {
    // The BTHome receiver reports a device offline after 2.5 × its advertising interval: one that
    // advertises only on events would be offline between them, so a BTHome profile needs its beacon.
    const advertS = p.bthome.advertising_interval_s;
    if (p.heard_every === "on_change" || p.heard_every < advertS * 1000)
      problems.push({
        file,
        path: "heard_every",
        ...at(["heard_every"]),
        found: JSON.stringify(p.heard_every === "on_change" ? p.heard_every : `${p.heard_every / 1000}s`),
        expected: `a duration of at least bthome.advertising_interval_s (${advertS}s): a BTHome device is watched by its beacon`,
        message: "",
      });
  }
  return problems;
}

export function parseProfile(text: string, file: string): Parsed<DeviceProfile> {
  return parseYamlWith(text, file, deviceProfile, (p, at) => checkProfile(p, file, at));
}

export interface Catalogue {
  profiles: Map<string, DeviceProfile>;
  problems: Problem[];
}

/** Loads every profile in `dir`; a broken file is reported and skipped, the rest still load. */
export function loadCatalogue(dir: string = defaultProfileDir()): Catalogue {
  const profiles = new Map<string, DeviceProfile>();
  const problems: Problem[] = [];
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  for (const f of files) {
    const file = join(dir, f);
    const parsed = parseProfile(readFileSync(file, "utf8"), file);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    if (profiles.has(parsed.value.id)) {
      problems.push({
        file,
        path: "id",
        found: JSON.stringify(parsed.value.id),
        expected: "an id no other profile uses",
        message: "",
      });
      continue;
    }
    profiles.set(parsed.value.id, parsed.value);
  }
  return { profiles, problems };
}

/** "did you mean" for an unknown profile id. */
export function closestId(want: string, ids: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const id of ids) {
    const d = editDistance(want, id);
    if (d < bestD) {
      bestD = d;
      best = id;
    }
  }
  return best !== undefined && bestD <= Math.max(3, Math.floor(want.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] as number;
}
