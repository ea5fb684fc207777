import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { decommissionTargets, deleteTarget } from "../../decommission/erase.js";
import type { LifecycleDeps } from "../../lifecycle/deps.js";
import type { PrivilegedAction } from "../action.js";
import { underRoot } from "../paths.js";

/**
 * `hearth decommission`'s root half: stops the agent, then deletes the config, the client key and
 * certificate, and the state (outbox, bind keys' replay counters, pending keys). Takes nothing from
 * the request: what it deletes comes from root's own config. The gateway is then as before provision.
 */
export function decommissionAction(deps: LifecycleDeps): PrivilegedAction<Record<string, never>> {
  return {
    name: "decommission",
    parse() {
      return {};
    },
    async run(_args, ctx) {
      const configPath = underRoot(ctx.root, deps.configPath);
      let text: string | undefined;
      try {
        text = readFileSync(configPath, "utf8");
      } catch {
        text = undefined;
      }
      let runtimeDir = "/run/hearth";
      try {
        const r = (parseYaml(text ?? "") as { outbox?: { runtime_dir?: unknown } } | null)?.outbox
          ?.runtime_dir;
        if (typeof r === "string" && r.startsWith("/")) runtimeDir = r;
      } catch {
        // An unreadable config: the default runtime directory.
      }
      await deps.stop();
      const targets = decommissionTargets(deps.configPath, text, deps.stateDir, runtimeDir);
      const gone = targets.flatMap((t) =>
        deleteTarget(t.endsWith("/*") ? `${underRoot(ctx.root, t.slice(0, -2))}/*` : underRoot(ctx.root, t)),
      );
      const shown = gone.map((g) => `/${relative(ctx.root, g)}`);
      return {
        message: `decommissioned: the agent is stopped and ${shown.length} files and folders deleted; ready to provision`,
        detail: { deleted: shown },
      };
    },
  };
}
