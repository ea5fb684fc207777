import type { HearthConfig } from "../config/schema.js";
import type { StatusBody } from "../contract/messages.js";
import { parsePublicKey } from "../core/ed25519-keys.js";
import type { Logger } from "../core/log.js";
import type { CommandSecurity } from "./command-guard.js";

export type SecurityHealth = NonNullable<NonNullable<StatusBody["health"]>["security"]>;

/** The keys commands are checked with, from `cloud.commands` (already validated by the config schema). */
export function commandSecurity(config: HearthConfig, log: Logger): CommandSecurity {
  const c = config.cloud.commands;
  const texts =
    c.public_key === undefined ? [] : typeof c.public_key === "string" ? [c.public_key] : c.public_key;
  const security = { keys: texts.map(parsePublicKey), insecure: c.insecure };
  const mode = commandMode(security);
  // Said once at start; status and every heartbeat say it again (securityHealth).
  if (mode === "insecure")
    log.warn(
      "Commands are accepted unsigned (cloud.commands.insecure: true): anyone who can publish on this home's cmd/ topics controls it",
    );
  else if (mode === "refused")
    log.warn(
      "No key for commands (cloud.commands.public_key) and not insecure: every command from the cloud is refused",
    );
  return security;
}

function commandMode(s: CommandSecurity): SecurityHealth["commands"] {
  if (s.keys.length > 0) return "signed";
  return s.insecure ? "insecure" : "refused";
}

/** What status and the heartbeat say about what anyone could fake: unsigned commands, keyless buttons. */
export function securityHealth(config: HearthConfig, s: CommandSecurity): SecurityHealth {
  return {
    commands: commandMode(s),
    insecure_buttons: config.devices.filter((d) => d.insecure === true).map((d) => d.id),
  };
}
