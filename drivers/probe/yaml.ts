import type { SerialSettings } from "../../src/profiles/common.js";
import type { FoundDevice, ProbeResult } from "./probe.js";

export interface DevicesYamlOptions {
  /** Profile id per protocol. Modbus has no default: the probe cannot tell the model. */
  profiles?: Partial<Record<FoundDevice["protocol"], string>>;
  /** Ids already used in the config, so new ones do not clash. */
  takenIds?: Iterable<string>;
}

const DEFAULT_PROFILES: Record<FoundDevice["protocol"], string | undefined> = {
  modbus: undefined,
  dlt645: "generic-dlt645-single-phase",
  cjt188: "generic-cjt188-cold-water",
};

const ID_PREFIX: Record<FoundDevice["protocol"], string> = {
  modbus: "meter",
  dlt645: "electricity",
  cjt188: "water",
};

/**
 * A `devices:` snippet for the home's config, one entry per device found: `{ id, profile, port, baud,
 * unit_id | address }`. Addresses are quoted (leading zeros are part of them). A Modbus device gets a
 * placeholder profile with a comment, which config validation will refuse until it is replaced.
 */
export function renderDevicesYaml(results: readonly ProbeResult[], options: DevicesYamlOptions = {}): string {
  const taken = new Set(options.takenIds ?? []);
  const lines = ["devices:"];
  const nextId = (prefix: string) => {
    for (let n = 1; ; n++) {
      const id = `${prefix}-${n}`;
      if (!taken.has(id)) {
        taken.add(id);
        return id;
      }
    }
  };
  for (const r of results) {
    for (const d of r.found) {
      const profile = options.profiles?.[d.protocol] ?? DEFAULT_PROFILES[d.protocol];
      lines.push(`  - id: ${nextId(ID_PREFIX[d.protocol])}`);
      lines.push(
        profile
          ? `    profile: ${profile}`
          : "    profile: CHOOSE-A-PROFILE # the meter's model: a file name from device-profiles/",
      );
      lines.push(`    port: ${JSON.stringify(r.port)}`);
      lines.push(`    baud: ${r.settings.baud}`);
      if (r.settings.parity !== defaultParity(d.protocol)) lines.push(`    parity: ${r.settings.parity}`);
      if (d.protocol === "modbus") lines.push(`    unit_id: ${d.unitId}`);
      else lines.push(`    address: "${d.address}"`);
    }
  }
  return lines.length === 1 ? "devices: []\n" : `${lines.join("\n")}\n`;
}

function defaultParity(p: FoundDevice["protocol"]): SerialSettings["parity"] {
  return p === "modbus" ? "none" : "even";
}
