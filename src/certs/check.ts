import { createPrivateKey, X509Certificate } from "node:crypto";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { DAY_MS } from "../core/time.js";

/** Throws unless `certPem` is a certificate for `keyPem` that is valid at `nowMs`; returns its end. */
export function checkCertificate(
  certPem: string,
  keyPem: string,
  nowMs: number,
): { notAfter: string; daysLeft: number } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw new HearthError(`not a PEM certificate: ${errorMessage(e)}`, ErrorCode.CommandInvalid);
  }
  if (!cert.checkPrivateKey(createPrivateKey(keyPem)))
    throw new HearthError(
      "the certificate is not for the key of the last cert_csr: nothing changed",
      ErrorCode.CommandRefused,
    );
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (!(nowMs >= from && nowMs < to))
    throw new HearthError(
      `the certificate is valid from ${cert.validFrom} to ${cert.validTo}, not now: nothing changed`,
      ErrorCode.CommandRefused,
    );
  return { notAfter: new Date(to).toISOString(), daysLeft: Math.floor((to - nowMs) / DAY_MS) };
}
