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

/** How many redirects a release download follows. */
const MAX_REDIRECTS = 5;

/**
 * Downloads a release for the `update` command: bounded in size, its SHA-256 checked. Node's http and
 * https rather than `fetch`: fetch parses HTTP with WebAssembly, which the unit's `--lite-mode` turns
 * off (deploy/hearth.service; docs/BENCHMARKS.md, Footprint).
 */
export async function downloadRelease(url: string, sha256: string, timeoutMs = 10 * 60_000): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  let where = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const got = await get(where, Math.max(1, deadline - Date.now()));
    if ("redirect" in got) {
      where = new URL(got.redirect, where).toString();
      continue;
    }
    if (sha256Hex(got.bytes) !== sha256)
      throw new HearthError(
        "the downloaded release's SHA-256 is not the one the command gave: nothing changed",
        ErrorCode.CommandFailed,
      );
    return got.bytes;
  }
  throw new HearthError(
    `cannot download the release: more than ${MAX_REDIRECTS} redirects`,
    ErrorCode.CommandFailed,
  );
}

async function get(url: string, timeoutMs: number): Promise<{ bytes: Buffer } | { redirect: string }> {
  const fail = (why: string) =>
    new HearthError(`cannot download the release: ${why}`, ErrorCode.CommandFailed);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw fail(`"${url}" is not a URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw fail(`${u.protocol} is not http or https`);
  const client = u.protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const req = client.get(u, { timeout: timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        resolve({ redirect: res.headers.location });
        return;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        reject(fail(`HTTP ${status}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RELEASE_BYTES) {
          req.destroy();
          reject(
            new HearthError(
              `the release is over ${MAX_RELEASE_BYTES} bytes: refused`,
              ErrorCode.CommandFailed,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => resolve({ bytes: Buffer.concat(chunks) }));
      res.on("error", (e) => reject(fail(errorMessage(e))));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.on("error", (e) => reject(fail(errorMessage(e))));
  });
}
