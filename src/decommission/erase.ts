import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

/**
 * What decommissioning deletes, as absolute gateway paths: the config (broker password, bind keys),
 * the client key and certificate it names (and the `.prev` copies a rotation or config_set kept),
 * and everything in the state directory (outbox, kv, pending keys, staged updates) but the
 * privileged helper's own request/result folder. The CA certificate stays: it is public and the
 * next provision replaces it. Deleting on an SD card is not erasure (docs/field-operations.md).
 */
export function decommissionTargets(
  configPath: string,
  configText: string | undefined,
  stateDir: string,
  runtimeDir: string,
): string[] {
  const out = new Set<string>([configPath, `${configPath}.prev`]);
  let doc: unknown;
  try {
    doc = configText === undefined ? undefined : parseYaml(configText);
  } catch {
    doc = undefined;
  }
  const cloud = (doc as { cloud?: { brokers?: { tls?: Record<string, unknown> }[] } } | undefined)?.cloud;
  const z2m = (doc as { zigbee2mqtt?: { tls?: Record<string, unknown> } } | undefined)?.zigbee2mqtt;
  for (const tls of [...(cloud?.brokers ?? []).map((b) => b.tls), z2m?.tls])
    for (const k of ["cert", "key"] as const) {
      const f = tls?.[k];
      if (typeof f === "string" && f.startsWith("/")) out.add(f).add(`${f}.prev`);
    }
  for (const dir of [stateDir, runtimeDir]) out.add(join(dir, "*"));
  return [...out];
}

/** Deletes one target (a file, or `dir/*`: everything in dir but `privileged/`); returns what went. */
export function deleteTarget(path: string): string[] {
  if (path.endsWith("/*")) {
    const dir = path.slice(0, -2);
    if (!existsSync(dir)) return [];
    const gone: string[] = [];
    for (const name of readdirSync(dir)) {
      if (name === "privileged") continue;
      rmSync(join(dir, name), { recursive: true, force: true });
      gone.push(join(dir, name));
    }
    return gone;
  }
  if (!existsSync(path)) return [];
  rmSync(path, { force: true });
  return [path];
}
