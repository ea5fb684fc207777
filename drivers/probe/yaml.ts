import type { SerialSettings } from "../../src/profiles/common.js";
import { describeSettings } from "../serial/line.js";
import { describeFound, type FoundDevice, type ProbeResult } from "./probe.js";

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

/** A meter that answered the 1997 meter-number read speaks DL/T 645-1997. */
const DLT645_1997_PROFILE = "generic-dlt645-1997-single-phase";

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
  const lines = [...mixedSettingsWarnings(results).map((w) => `# warning: ${w}`), "devices:"];
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
      const profile =
        options.profiles?.[d.protocol] ??
        (d.protocol === "dlt645" && d.edition === 1997 ? DLT645_1997_PROFILE : DEFAULT_PROFILES[d.protocol]);
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
  return lines.at(-1) === "devices:" ? "devices: []\n" : `${lines.join("\n")}\n`;
}

/**
 * One message per port whose devices answered at different serial settings (each protocol is probed
 * at its usual one unless told otherwise). One RS-485 line has one setting, so such a snippet is
 * refused by the config check until every meter on the line is set alike.
 */
export function mixedSettingsWarnings(results: readonly ProbeResult[]): string[] {
  /** Keyed by port, then by described setting: what answered there. */
  const byPort = new Map<string, Map<string, string[]>>();
  for (const r of results) {
    if (r.found.length === 0) continue;
    const settings = byPort.get(r.port) ?? new Map<string, string[]>();
    byPort.set(r.port, settings);
    const key = describeSettings(r.settings);
    settings.set(key, [...(settings.get(key) ?? []), ...r.found.map(describeFound)]);
  }
  const out: string[] = [];
  for (const [port, settings] of byPort) {
    if (settings.size < 2) continue;
    const detail = [...settings].map(([s, found]) => `${found.join(", ")} at ${s}`).join("; ");
    out.push(
      `devices on ${port} answered at different serial settings (${detail}); one RS-485 line has one setting: set every meter on it alike, then confirm with hearth probe --baud N --parity P`,
    );
  }
  return out;
}

function defaultParity(p: FoundDevice["protocol"]): SerialSettings["parity"] {
  return p === "modbus" ? "none" : "even";
}
