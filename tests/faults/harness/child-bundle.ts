import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { packageRoot } from "../../../src/core/paths.js";

/**
 * agent-child.ts bundled into one ES module, once per test process. A scenario restarts the agent up
 * to a thousand times: plain node starts it in a fraction of the time a TypeScript loader takes.
 * Packages stay outside the bundle (better-sqlite3 is native), so the file lives under node_modules'
 * parent, where node resolves them.
 */
let bundled: Promise<string> | undefined;

export function agentChildBundle(): Promise<string> {
  bundled ??= (async () => {
    const root = packageRoot();
    const dir = join(root, "node_modules", ".cache", "hearth-faults");
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, `agent-child-${process.pid}.mjs`);
    await build({
      entryPoints: [join(root, "tests", "faults", "harness", "agent-child.ts")],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      sourcemap: "linked",
      logLevel: "error",
    });
    removeStale(dir);
    return outfile;
  })();
  return bundled;
}

/** Bundles of test processes that have ended (a pool worker may be ended without an exit event). */
function removeStale(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(/^agent-child-(\d+)\.mjs/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(join(dir, name), { force: true });
    }
  }
}
