import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { parse as parseYaml } from "yaml";
import { checkCertificate } from "../../certs/check.js";
import { pendingPaths } from "../../certs/csr.js";
import { ErrorCode, HearthError } from "../../core/errors.js";
import type { LifecycleDeps } from "../../lifecycle/deps.js";
import type { PrivilegedAction } from "../action.js";
import { underRoot } from "../paths.js";

/** The (cert, key) file pairs the config's brokers use: where a rotated pair goes. Trusted: root's config. */
function pairsOf(configText: string): { cert: string; key: string }[] {
  const doc = parseYaml(configText) as {
    cloud?: { brokers?: { tls?: { cert?: unknown; key?: unknown } }[] };
  } | null;
  const out = new Map<string, { cert: string; key: string }>();
  for (const b of doc?.cloud?.brokers ?? []) {
    const { cert, key } = b.tls ?? {};
    if (typeof cert === "string" && typeof key === "string") out.set(`${cert}\n${key}`, { cert, key });
  }
  return [...out.values()];
}

/** `text` over `path`, atomically, with the owner and mode of the file it replaces (or `fallback`). */
function replace(path: string, text: string, fallback: { mode: number; uid: number; gid: number }): void {
  const like = existsSync(path) ? statSync(path) : fallback;
  const tmp = `${path}.rotate-tmp`;
  writeFileSync(tmp, "", { mode: 0o600 });
  chownSync(tmp, like.uid, like.gid);
  chmodSync(tmp, like.mode & 0o777);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * cert_install's root half. Takes nothing from the request: the new pair is the agent's pending one
 * (state/certs), checked again here (the certificate is for that key and valid now); it replaces the
 * files the config names, each old file kept as `<file>.prev`. The agent tested a connection with the
 * pair before asking.
 */
export function installCertificateAction(deps: LifecycleDeps): PrivilegedAction<Record<string, never>> {
  return {
    name: "install-certificate",
    parse() {
      return {};
    },
    run(_args, ctx) {
      const p = pendingPaths(underRoot(ctx.root, deps.stateDir));
      if (!existsSync(p.key) || !existsSync(p.cert))
        throw new HearthError(
          "no pending key and certificate in the state directory",
          ErrorCode.CommandRefused,
        );
      const key = readFileSync(p.key, "utf8");
      const cert = readFileSync(p.cert, "utf8");
      const checked = checkCertificate(cert, key, ctx.now().getTime());
      const pairs = pairsOf(readFileSync(underRoot(ctx.root, deps.configPath), "utf8"));
      if (pairs.length === 0)
        throw new HearthError("the config names no client certificate to replace", ErrorCode.CommandRefused);
      for (const pair of pairs) {
        const certPath = underRoot(ctx.root, pair.cert);
        const keyPath = underRoot(ctx.root, pair.key);
        for (const f of [certPath, keyPath]) if (existsSync(f)) copyFileSync(f, `${f}.prev`);
        // The key first: a cert whose key is not in place yet would fail the next connection.
        replace(keyPath, key, { mode: 0o600, uid: 0, gid: 0 });
        replace(certPath, cert, { mode: 0o644, uid: 0, gid: 0 });
      }
      for (const f of [p.key, p.cert, p.csr]) rmSync(f, { force: true });
      return Promise.resolve({
        message: `client certificate replaced (until ${checked.notAfter})`,
        detail: { files: pairs, not_after: checked.notAfter },
      });
    },
  };
}
