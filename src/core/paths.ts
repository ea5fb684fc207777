import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ErrorCode, HearthError } from "./errors.js";

let cachedRoot: string | undefined;

/** The package's root folder (where package.json and device-profiles/ are), from source or from dist/. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      const name = (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name;
      if (name === "hearth") {
        cachedRoot = dir;
        return dir;
      }
    }
    const up = dirname(dir);
    if (up === dir)
      throw new HearthError(
        `hearth package root not found above ${fileURLToPath(import.meta.url)}`,
        ErrorCode.Internal,
      );
    dir = up;
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string })
    .version;
}
