import type { LoadedConfig } from "../config/devices.js";
import { loadConfigFile } from "../config/load.js";
import type { Problem } from "../core/yaml-validate.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { cellularCheck } from "./cellular-check.js";
import { type Check, fail, na, ok } from "./check.js";
import {
  configCheck,
  configFileCheck,
  profilesCheck,
  securityChecks,
  silenceCheck,
} from "./config-checks.js";
import { certChecks, keyChecks, portChecks } from "./file-checks.js";
import { firstbootCheck } from "./firstboot-check.js";
import { bleChecks, clockCheck, diskCheck, serviceCheck } from "./host-checks.js";
import type { DoctorProbes } from "./probes.js";
import { deviceChecks, outboxCheck } from "./state-checks.js";

/** Where the first boot's outcome is looked for when no --state-dir is given (the config may be broken). */
const DEFAULT_STATE_DIR = "/var/lib/hearth";

export interface DoctorOptions {
  config: string;
  /** Overrides the config's state_dir. */
  stateDir?: string;
  /** The user the agent runs as (deploy/hearth.service): default hearth. */
  serviceUser?: string;
  /** The systemd unit: default hearth. */
  unit?: string;
  profiles: ReadonlyMap<string, DeviceProfile>;
  catalogueProblems: readonly Problem[];
  /** Called before each slow step (broker, agent), for progress on stderr. */
  progress?: (what: string) => void;
}

export interface DoctorResult {
  ok: boolean;
  checks: Check[];
}

/** Every check, in the order an installer fixes things: config, files, machine, network, the home. */
export async function runDoctor(o: DoctorOptions, p: DoctorProbes): Promise<DoctorResult> {
  const checks: Check[] = [];
  const parsed = loadConfigFile(o.config, o.profiles);
  const bootState = o.stateDir ?? (parsed.ok ? parsed.value.state_dir : DEFAULT_STATE_DIR);
  checks.push(configCheck(o.config, parsed.ok ? undefined : parsed.problems));
  checks.push(firstbootCheck(bootState, p));
  const userName = o.serviceUser ?? "hearth";
  const user = p.user(userName);
  checks.push(
    user
      ? ok("service-user", `${userName} (uid ${user.uid}, groups ${user.gids.join(",")})`)
      : fail(
          "service-user",
          `no user ${userName}`,
          "run deploy/install.sh (it creates the system user hearth)",
        ),
  );
  if (!parsed.ok) {
    checks.push(na("rest", "the other checks need a valid config"));
    return done(checks);
  }
  const config: LoadedConfig = parsed.value;
  const stateDir = o.stateDir ?? config.state_dir;
  checks.push(profilesCheck(config, o.profiles, o.catalogueProblems));
  checks.push(silenceCheck(config, o.profiles));
  checks.push(configFileCheck(o.config, user, p));
  checks.push(...portChecks(config, user, p));
  checks.push(...keyChecks(config, user, p));
  checks.push(...certChecks(config, p));
  checks.push(clockCheck(p));
  checks.push(diskCheck(stateDir, p));
  checks.push(outboxCheck(stateDir, p));
  for (const b of config.cloud.brokers) {
    o.progress?.(`connecting to ${b.url}`);
    const r = await p.broker(b, config.home.id);
    const id = `broker:${b.url.replace(/\/\/[^@/]*@/, "//")}`;
    checks.push(
      r.ok
        ? ok(id, r.tls ? r.detail : `${r.detail} (no TLS: a plain connection)`)
        : fail(
            id,
            r.detail,
            "check the gateway reaches the broker (DNS, firewall, port 8883), the CA, client certificate and key, and that the broker's ACL lets this home subscribe to its cmd/ topics",
          ),
    );
  }
  o.progress?.("asking the agent for its status");
  const agent = await p.agent(stateDir);
  checks.push(serviceCheck(o.unit ?? "hearth", agent !== undefined, p));
  checks.push(...bleChecks(config, agent, p));
  checks.push(...deviceChecks(config, agent, p));
  checks.push(...securityChecks(config));
  // The SMS fallback's modem: a line only for a home that has one configured.
  if (config.sms) {
    o.progress?.("asking ModemManager for the modem");
    checks.push(cellularCheck(config, await p.modem?.()));
  }
  return done(checks);
}

function done(checks: Check[]): DoctorResult {
  return { ok: checks.every((c) => c.status !== "fail"), checks };
}
