import { join } from "node:path";
import { FIRSTBOOT_STATUS, readFirstbootStatus } from "../provision/firstboot.js";
import { type Check, fail, na, ok } from "./check.js";
import type { DoctorProbes } from "./probes.js";

/**
 * What the first boot did with the boot partition's provisioning file (hearth-firstboot.service).
 * Checked before the config, because a broken file is why there is no config.
 */
export function firstbootCheck(stateDir: string, p: DoctorProbes): Check {
  const path = join(stateDir, FIRSTBOOT_STATUS);
  const s = readFirstbootStatus(p.readFile(path)?.toString("utf8"));
  if (!s) return na("first-boot", "no provisioning from the boot partition recorded");
  if (s.ok) return ok("first-boot", `${s.message} (${s.at})`);
  return fail(
    "first-boot",
    `${s.message} (${s.at})`,
    `correct ${s.file} on the boot partition and reboot, or run \`hearth firstboot\` (journalctl -u hearth-firstboot has the whole message)`,
  );
}
