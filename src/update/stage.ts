import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { type PrivilegedRequest, writeRequest } from "../privileged/index.js";
import { releaseKey, sha256Hex, verifyRelease } from "./signature.js";

/** Larger than any release (dist and production node_modules are tens of MB); a bound on a download. */
export const MAX_RELEASE_BYTES = 256 * 1024 * 1024;

/**
 * The agent's side of an update: the signature is checked here first (a wrong one changes nothing,
 * not even a file), then the tarball is left in `<state>/updates/` and the root helper is asked to
 * switch to it (privileged/actions/switch-release.ts, which checks it again).
 */
export function stageRelease(
  stateDir: string,
  tarball: Buffer,
  signature: string,
  releaseKeyText: string | undefined,
): PrivilegedRequest {
  verifyRelease(tarball, signature, releaseKey(releaseKeyText));
  const dir = join(stateDir, "updates");
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const file = `hearth-${sha256Hex(tarball).slice(0, 16)}.tar.gz`;
  try {
    writeFileSync(join(dir, file), tarball, { mode: 0o640 });
    return writeRequest(stateDir, "switch-release", { file, signature: signature.trim() });
  } catch (e) {
    rmSync(join(dir, file), { force: true });
    throw new HearthError(`cannot stage the release: ${errorMessage(e)}`, ErrorCode.CommandFailed);
  }
}

/** Downloads a release for the `update` command: bounded in size, its SHA-256 checked. */
export async function downloadRelease(url: string, sha256: string, timeoutMs = 10 * 60_000): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  } catch (e) {
    throw new HearthError(`cannot download the release: ${errorMessage(e)}`, ErrorCode.CommandFailed);
  }
  if (!res.ok || !res.body)
    throw new HearthError(`cannot download the release: HTTP ${res.status}`, ErrorCode.CommandFailed);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_RELEASE_BYTES)
      throw new HearthError(
        `the release is over ${MAX_RELEASE_BYTES} bytes: refused`,
        ErrorCode.CommandFailed,
      );
    chunks.push(Buffer.from(chunk));
  }
  const bytes = Buffer.concat(chunks);
  if (sha256Hex(bytes) !== sha256)
    throw new HearthError(
      "the downloaded release's SHA-256 is not the one the command gave: nothing changed",
      ErrorCode.CommandFailed,
    );
  return bytes;
}
