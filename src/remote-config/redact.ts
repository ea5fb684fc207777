import { createHash } from "node:crypto";
import { parse as parseYaml, stringify } from "yaml";

/** What stands where a secret was: config_get shows it, config_set puts the old secret back for it. */
export const REDACTED = "<redacted>";

/** The hash config_set is made against: SHA-256 of the file's bytes, lowercase hex. */
export function configHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

type Node = unknown;

/** Whether the setting at `path` (its keys, array indices as numbers) holds a secret. */
function secretAt(path: readonly (string | number)[]): boolean {
  const last = path[path.length - 1];
  if (last === "password") return true;
  // A device's bind key; `key` elsewhere (tls.key) is a file path, not the key itself.
  return last === "key" && path[0] === "devices" && path.length === 3;
}

const USERINFO = /^([a-z]+:\/\/)[^\s/]*@/i;

function walk(
  n: Node,
  path: (string | number)[],
  visit: (v: unknown, p: (string | number)[]) => unknown,
): Node {
  if (Array.isArray(n)) return n.map((v, i) => walk(v, [...path, i], visit));
  if (n !== null && typeof n === "object")
    return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, walk(v, [...path, k], visit)]));
  return visit(n, path);
}

/** The parsed config with every secret replaced by REDACTED and user info cut from URLs. */
export function redactDoc(doc: unknown): unknown {
  return walk(doc, [], (v, p) => {
    if (v === undefined || v === null) return v;
    if (secretAt(p)) return REDACTED;
    if (typeof v === "string" && USERINFO.test(v)) return v.replace(USERINFO, `$1${REDACTED}@`);
    return v;
  });
}

/** config_get's answer: the config text with secrets redacted, and the real file's hash. */
export function redactedConfig(text: string): { config: string; hash: string } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return {
      config: "# the config on the gateway is not YAML (hearth validate says more)\n",
      hash: configHash(text),
    };
  }
  return { config: stringify(redactDoc(doc), { lineWidth: 0 }), hash: configHash(text) };
}

/** Every secret value in the config (passwords, bind keys, URL user info): what a bundle must never hold. */
export function configSecrets(doc: unknown): string[] {
  const out: string[] = [];
  walk(doc, [], (v, p) => {
    if (typeof v === "string" && secretAt(p) && v.length > 0) out.push(v);
    const m = typeof v === "string" ? /^[a-z]+:\/\/([^\s/]*)@/i.exec(v) : null;
    if (m?.[1]) out.push(m[1], ...m[1].split(":").filter((s) => s.length >= 4));
    return v;
  });
  return out;
}

/**
 * A config sent back with REDACTED where config_get put it keeps the secret it had: the same path in
 * the old config, devices matched by id (a list may have been reordered).
 */
export function restoreRedacted(next: unknown, old: unknown): unknown {
  const oldDevices = new Map<string, unknown>();
  const devices = (old as { devices?: unknown } | null)?.devices;
  if (Array.isArray(devices))
    for (const d of devices) if (d && typeof d === "object" && "id" in d) oldDevices.set(String(d.id), d);
  return walk(next, [], (v, p) => {
    if (v !== REDACTED) return v;
    if (p[0] === "devices" && typeof p[1] === "number") {
      const id = (next as { devices: { id?: unknown }[] }).devices[p[1]]?.id;
      return valueAt(oldDevices.get(String(id)), p.slice(2));
    }
    return valueAt(old, p);
  });
}

function valueAt(n: unknown, path: readonly (string | number)[]): unknown {
  let cur = n;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}
