import { mkdirSync, rmSync } from "node:fs";
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
    // One bundle per test process; it goes with the process.
    process.once("exit", () => {
      rmSync(outfile, { force: true });
      rmSync(`${outfile}.map`, { force: true });
    });
    return outfile;
  })();
  return bundled;
}
