import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/log.js";
import { SECOND_MS } from "../core/time.js";

/**
 * Whether the gateway itself is on mains, from Linux's power_supply class (`/sys/class/power_supply`):
 * a UPS HAT or a laptop-style supply shows there as a `Mains`/`USB`/`UPS` supply with `online`, or as
 * a `Battery` with `status`. When the mains fails, the meters (powered from it) fall silent while the
 * gateway runs on: that silence is a power cut, not a quiet home.
 */
export interface GatewayPower {
  onMains: boolean;
  /** What was read, for the alert's evidence. */
  detail: string;
}

const DEFAULT_DIR = "/sys/class/power_supply";

function read(dir: string, name: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, name, file), "utf8").trim();
  } catch {
    return undefined;
  }
}

/** What the power supplies say now; undefined when there is nothing to go on (most bare Pis). */
export function readGatewayPower(dir: string = DEFAULT_DIR): GatewayPower | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const external: { name: string; online: boolean }[] = [];
  const batteries: { name: string; status: string }[] = [];
  for (const name of names.sort()) {
    const type = read(dir, name, "type");
    if (type === "Mains" || type === "USB" || type === "UPS") {
      const online = read(dir, name, "online");
      if (online === "0" || online === "1") external.push({ name, online: online === "1" });
    } else if (type === "Battery") {
      const status = read(dir, name, "status");
      if (status) batteries.push({ name, status });
    }
  }
  if (external.length > 0) {
    const on = external.filter((e) => e.online);
    return on.length > 0
      ? { onMains: true, detail: `${on.map((e) => e.name).join(", ")} online` }
      : { onMains: false, detail: `${external.map((e) => e.name).join(", ")} offline` };
  }
  const discharging = batteries.find((b) => b.status === "Discharging");
  if (discharging) return { onMains: false, detail: `${discharging.name} discharging` };
  const battery = batteries[0];
  if (battery) return { onMains: true, detail: `${battery.name} ${battery.status.toLowerCase()}` };
  return undefined;
}

/** How often the gateway's power supply is read. */
const POWER_EVERY_MS = 30 * SECOND_MS;

/**
 * Reads the gateway's power supply now and every 30 s, and reports each reading that says something.
 * Returns a stop function. Logs once when there is nothing to read, so an installer knows that a
 * power cut will be seen only through the electricity meter's voltage.
 */
export function watchGatewayPower(o: {
  clock: Clock;
  log: Logger;
  dir?: string;
  report: (p: GatewayPower) => void;
}): () => void {
  let told = false;
  const look = () => {
    const p = readGatewayPower(o.dir);
    if (p) o.report(p);
    else if (!told) {
      told = true;
      o.log.info(
        { dir: o.dir ?? DEFAULT_DIR },
        "No power supply information on this gateway: a power cut is seen through the meter's voltage only",
      );
    }
  };
  look();
  const t = o.clock.setInterval(look, POWER_EVERY_MS);
  return () => t.cancel();
}
