import type { LoadedConfig } from "../config/devices.js";
import { heardEveryByDevice } from "../config/heard-every.js";
import { formatProblem, type Problem } from "../core/yaml-validate.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { allows, describeStat } from "./access.js";
import { type Check, fail, ok } from "./check.js";
import type { DoctorProbes, ServiceUser } from "./probes.js";

export function configCheck(file: string, problems: readonly Problem[] | undefined): Check {
  if (problems === undefined) return ok("config", `${file} is valid`);
  const first = problems.slice(0, 3).map(formatProblem).join("; ");
  return fail(
    "config",
    `${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}: ${first}`,
    `run \`hearth validate ${file}\` and correct each line it names`,
  );
}

export function profilesCheck(
  config: LoadedConfig,
  profiles: ReadonlyMap<string, unknown>,
  catalogueProblems: readonly Problem[],
): Check {
  const missing = config.devices.filter((d) => !profiles.has(d.profile));
  if (missing.length > 0)
    return fail(
      "profiles",
      `no profile for ${missing.map((d) => `${d.id} (${d.profile})`).join(", ")}`,
      "use a profile id from `hearth validate --profiles`, or add the model's YAML to device-profiles/",
    );
  if (catalogueProblems.length > 0)
    return fail(
      "profiles",
      `${catalogueProblems.length} broken device profile(s): ${catalogueProblems.slice(0, 2).map(formatProblem).join("; ")}`,
      "run `hearth validate --profiles` and correct the profile files it names",
    );
  const used = [...new Set(config.devices.map((d) => d.profile))];
  return ok("profiles", used.length > 0 ? `resolve: ${used.join(", ")}` : "no devices configured");
}

/**
 * Devices with `heard_every: on_change` (no heartbeat) are never `monitoring_degraded` for their
 * silence: named here, so the installer knows what else must show them dead. Not a failure: the
 * profile says the device cannot do better.
 */
export function silenceCheck(config: LoadedConfig, profiles: ReadonlyMap<string, DeviceProfile>): Check {
  const every = heardEveryByDevice(config.devices, (id) => profiles.get(id));
  const unjudged = config.devices.filter((d) => every.get(d.id) === "on_change");
  if (unjudged.length === 0) return ok("silence", "every device is judged on its silence");
  const zigbee = unjudged.some((d) => d.protocol === "zigbee2mqtt");
  return ok(
    "silence",
    `not judged on silence (no heartbeat): ${unjudged.map((d) => `${d.id} (${d.profile})`).join(", ")}; ` +
      `their battery level shows a dying one${zigbee ? ", and Zigbee2MQTT's availability (turn it on) a dead Zigbee one" : ""}`,
  );
}

/**
 * The config may hold a broker password: 0640 root:<service group> lets the agent read it and keeps
 * it from everyone else.
 */
export function configFileCheck(file: string, user: ServiceUser | undefined, p: DoctorProbes): Check {
  const s = p.stat(file);
  if (!s) return fail("config-file", `${file} not found`, "run `hearth provision`");
  const fix = `chown root:${user?.name ?? "hearth"} ${file} && chmod 0640 ${file}`;
  if (s.mode & 0o007) return fail("config-file", `${describeStat(s)}: readable by every user`, fix);
  if (user && !allows(s, user, "r"))
    return fail("config-file", `${describeStat(s)}: the service user ${user.name} cannot read it`, fix);
  return ok("config-file", describeStat(s));
}

/** Buttons anyone nearby can fake, and commands anyone on the broker can send: each its own ✗. */
export function securityChecks(config: LoadedConfig): Check[] {
  const out: Check[] = [];
  const insecure = config.devices.filter((d) => "insecure" in d && d.insecure === true).map((d) => d.id);
  out.push(
    insecure.length === 0
      ? ok("buttons", "every button has a bind key (or none configured)")
      : fail(
          "buttons",
          `configured insecure (no bind key): ${insecure.join(", ")}; anyone nearby can send their presses`,
          "set the button's encryption key in the Shelly app, put it in `key:` and remove `insecure: true`",
        ),
  );
  const c = config.cloud.commands;
  const signed = c.public_key !== undefined;
  if (signed) out.push(ok("commands", "only commands signed with the cloud's key run"));
  else if (c.insecure)
    out.push(
      fail(
        "commands",
        "cloud.commands.insecure: true: unsigned commands run",
        "put the cloud's public key (from the care service, `hearth keygen`) in cloud.commands.public_key and remove insecure",
      ),
    );
  else
    out.push(
      fail(
        "commands",
        "no cloud.commands.public_key: every command is refused, so the cloud cannot acknowledge alerts",
        "put the cloud's public key (from the care service) in cloud.commands.public_key",
      ),
    );
  return out;
}
