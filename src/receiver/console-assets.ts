import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";

/**
 * The operator console's page: plain files in `src/receiver/console/` (copied into dist by the build),
 * served as they are. Kept as files rather than TS strings so that the script is linted and formatted
 * like the rest of the code, and can be read and changed without a build step.
 */
const ASSETS: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/console.js": { file: "console.js", type: "text/javascript; charset=utf-8" },
  "/console.css": { file: "console.css", type: "text/css; charset=utf-8" },
};

/**
 * Nothing but this origin's own script and style: a gateway's data that got into the page as markup
 * could not run (no inline script, no eval), could not load anything, nor send anything elsewhere.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers on every answer of the server, the API's JSON included. */
export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

export class ConsoleAssets {
  readonly #cache = new Map<string, Buffer>();
  readonly #dir: URL;

  constructor(dir = new URL("./console/", import.meta.url)) {
    this.#dir = dir;
  }

  /** Serves the asset at `path`; false when there is none. */
  serve(path: string, res: ServerResponse): boolean {
    const a = ASSETS[path];
    if (!a) return false;
    let body = this.#cache.get(a.file);
    if (!body) {
      body = readFileSync(new URL(a.file, this.#dir));
      this.#cache.set(a.file, body);
    }
    res.writeHead(200, { ...SECURITY_HEADERS, "content-type": a.type, "cache-control": "no-cache" });
    res.end(body);
    return true;
  }
}
