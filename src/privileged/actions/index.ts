import { DEFAULT_DEPS, type LifecycleDeps } from "../../lifecycle/deps.js";
import type { AnyPrivilegedAction } from "../action.js";
import { decommissionAction } from "./decommission.js";
import { installCertificateAction } from "./install-certificate.js";
import { switchReleaseAction } from "./switch-release.js";
import { writeConfigAction } from "./write-config.js";

/**
 * Every action the root helper will run; a request naming anything else is refused. `deps` replaces
 * the gateway's paths, the service manager and the health check (tests).
 */
export function privilegedActions(
  deps: Partial<LifecycleDeps> = {},
): ReadonlyMap<string, AnyPrivilegedAction> {
  const d: LifecycleDeps = { ...DEFAULT_DEPS, ...deps };
  const all: AnyPrivilegedAction[] = [
    switchReleaseAction(d),
    writeConfigAction(d),
    installCertificateAction(d),
    decommissionAction(d),
  ];
  return new Map(all.map((a) => [a.name, a]));
}
