import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";

const run = promisify(execFile);

/** `/CN=…/O=…`: what openssl's -subj takes, nothing that could be read as another option. */
const SUBJECT = /^(\/[A-Za-z]{1,16}=[^/\n\\]{1,64}){1,8}$/;

/** Where a rotation's new key waits, in the agent's own state directory (0700), until it is installed. */
export function pendingPaths(stateDir: string): { dir: string; key: string; csr: string; cert: string } {
  const dir = join(stateDir, "certs");
  return {
    dir,
    key: join(dir, "pending.key"),
    csr: join(dir, "pending.csr"),
    cert: join(dir, "pending.pem"),
  };
}

/**
 * cert_csr: a new P-256 key and a CSR for it, made by the `openssl` CLI (Node has no CSR API; see
 * docs/decisions/certificate-rotation.md). The key is written by openssl under a 0077 umask into a 0700
 * directory and never leaves the gateway; only the CSR is returned. A new CSR replaces an earlier
 * pending one.
 */
export async function makeCsr(stateDir: string, subject: string): Promise<{ csr: string; key: string }> {
  if (!SUBJECT.test(subject))
    throw new HearthError(`subject "${subject}" is not like /CN=name/O=org`, ErrorCode.CommandInvalid);
  const p = pendingPaths(stateDir);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  for (const f of [p.key, p.csr, p.cert]) rmSync(f, { force: true });
  const umask = process.umask(0o077);
  try {
    await run(
      "openssl",
      [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        p.key,
        "-out",
        p.csr,
        "-subj",
        subject,
      ],
      { timeout: 60_000 },
    );
  } catch (e) {
    throw new HearthError(
      `openssl could not make the key and CSR: ${errorMessage(e)}`,
      ErrorCode.CommandFailed,
    );
  } finally {
    process.umask(umask);
  }
  return { csr: readFileSync(p.csr, "utf8"), key: "EC P-256, kept on the gateway" };
}
