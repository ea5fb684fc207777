import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { HearthConfig } from "../config/schema.js";
import { DAY_MS } from "../core/time.js";

/** The client certificate the brokers are reached with: the first broker's `tls.cert`, if any. */
export function clientCertPath(config: HearthConfig): string | undefined {
  return config.cloud.brokers.find((b) => b.tls?.cert !== undefined)?.tls?.cert;
}

/**
 * Whole days until the client certificate expires (negative once it has), for the heartbeat: the
 * cloud sees a rotation coming due. Read from the file each time (a rotation replaces it); undefined
 * without mutual TLS or when the file cannot be read.
 */
export function certificateHealth(
  config: HearthConfig,
  nowMs: number,
): { days_left: number; not_after: string } | undefined {
  const path = clientCertPath(config);
  if (path === undefined) return undefined;
  try {
    const cert = new X509Certificate(readFileSync(path));
    const end = Date.parse(cert.validTo);
    return { days_left: Math.floor((end - nowMs) / DAY_MS), not_after: new Date(end).toISOString() };
  } catch {
    return undefined;
  }
}
