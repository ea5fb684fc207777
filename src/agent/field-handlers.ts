import { readFileSync } from "node:fs";
import type { LoadedConfig } from "../config/devices.js";
import type { FIELD_COMMAND_BODIES } from "../contract/field-commands.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { DeviceProfile } from "../profiles/schema.js";
import type { CommandHandlers } from "./commands.js";

export interface FieldHandlerDeps {
  /** The config file the agent was started with; undefined (the demo, tests): config commands refuse. */
  configPath: string | undefined;
  stateDir: string;
  config: LoadedConfig;
  profiles: ReadonlyMap<string, DeviceProfile>;
  log: Logger;
}

type FieldHandlers = Required<Pick<CommandHandlers, keyof typeof FIELD_COMMAND_BODIES>>;

function configText(path: string | undefined): { path: string; text: string } {
  if (path === undefined)
    throw new HearthError(
      "this agent was started without a config file: nothing to show or change",
      ErrorCode.CommandRefused,
    );
  try {
    return { path, text: readFileSync(path, "utf8") };
  } catch (e) {
    throw new HearthError(`cannot read the config: ${errorMessage(e)}`, ErrorCode.CommandFailed);
  }
}

/**
 * The commands that change the gateway itself. Each loads its code when it runs (a home that never
 * gets one never loads it); what needs root is asked of the root helper, and where that restarts the
 * agent, the reply says the change was accepted and the outcome comes as an event after the restart.
 */
export function fieldHandlers(d: FieldHandlerDeps): FieldHandlers {
  return {
    update: async (body) => {
      const { downloadRelease, stageRelease } = await import("../update/stage.js");
      const bytes = await downloadRelease(body.url, body.sha256);
      const req = stageRelease(d.stateDir, bytes, body.signature, d.config.cloud.release_public_key);
      d.log.info(
        { request: req.id, sha256: body.sha256 },
        "Update staged; the root helper switches and restarts",
      );
      return { accepted: true, request: req.id, outcome: "event update_applied or update_failed" };
    },
    config_get: async () => {
      const { redactedConfig } = await import("../remote-config/redact.js");
      return redactedConfig(configText(d.configPath).text);
    },
    config_set: async (body, cmd) => {
      const [{ changedConfig }, { configHash }, { writeRequest }] = await Promise.all([
        import("../remote-config/change.js"),
        import("../remote-config/redact.js"),
        import("../privileged/index.js"),
      ]);
      const { path, text } = configText(d.configPath);
      const next = changedConfig(text, body, path, d.profiles);
      const req = writeRequest(d.stateDir, "write-config", {
        text: next,
        replaces: body.replaces,
        command_id: cmd.id,
      });
      return {
        accepted: true,
        request: req.id,
        hash: configHash(next),
        outcome: "event config_applied, or config_rolled_back if the agent is not healthy with it",
      };
    },
    cert_csr: async (body) => {
      const { makeCsr } = await import("../certs/csr.js");
      return await makeCsr(d.stateDir, body.subject ?? `/CN=hearth-${d.config.home.id}`);
    },
    cert_install: async (body) => {
      const { installCertificate } = await import("../certs/install.js");
      return await installCertificate({
        stateDir: d.stateDir,
        config: d.config,
        certificate: body.certificate,
        log: d.log,
      });
    },
  };
}
