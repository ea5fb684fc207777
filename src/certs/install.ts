import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { LoadedConfig } from "../config/devices.js";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { awaitResult, writeRequest } from "../privileged/index.js";
import { checkBroker } from "../uplink/check-connect.js";
import { checkCertificate } from "./check.js";
import { pendingPaths } from "./csr.js";

export interface InstallOptions {
  stateDir: string;
  config: LoadedConfig;
  certificate: string;
  log: Logger;
  /** How long the root helper has to install the files. */
  helperTimeoutMs?: number;
  nowMs?: number;
}

/**
 * cert_install: the signed certificate is checked against the pending key, then a connection to the
 * broker is made with it (its own session; check-connect.ts); only if that works is the root helper
 * asked to put it in place (install-certificate), the old pair kept until then. The uplink reads its
 * TLS files at every connection, so the new pair is used from the next one on.
 */
export async function installCertificate(o: InstallOptions): Promise<Record<string, unknown>> {
  const p = pendingPaths(o.stateDir);
  if (!existsSync(p.key))
    throw new HearthError("no pending key: send cert_csr first", ErrorCode.CommandRefused);
  const checked = checkCertificate(o.certificate, readFileSync(p.key, "utf8"), o.nowMs ?? Date.now());
  const broker = o.config.cloud.brokers.find((b) => b.tls?.cert !== undefined && b.tls.key !== undefined);
  if (!broker?.tls)
    throw new HearthError(
      "no broker uses a client certificate (tls.cert and tls.key): nothing to rotate",
      ErrorCode.CommandRefused,
    );
  writeFileSync(p.cert, o.certificate, { mode: 0o644 });
  const trial = await checkBroker(
    { ...broker, tls: { ...broker.tls, cert: p.cert, key: p.key } },
    o.config.home.id,
  );
  if (!trial.ok)
    throw new HearthError(
      `a connection with the new certificate failed (${trial.detail.replace(/\s+/g, " ").trim()}): the old one stays in use`,
      ErrorCode.CommandFailed,
    );
  const req = writeRequest(o.stateDir, "install-certificate", {});
  const result = await awaitResult(o.stateDir, req.id, o.helperTimeoutMs ?? 60_000);
  if (!result.ok)
    throw new HearthError(`the root helper did not install it: ${result.message}`, ErrorCode.CommandFailed);
  o.log.info({ not_after: checked.notAfter }, "Client certificate rotated; used from the next connection");
  return {
    installed: true,
    not_after: checked.notAfter,
    days_left: checked.daysLeft,
    connection: trial.detail,
  };
}
