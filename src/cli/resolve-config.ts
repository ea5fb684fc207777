import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LoadedConfig } from "../config/devices.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { CliExit, EXIT } from "./exit.js";

/**
 * A home's config, checked, with the profiles its devices use: what `hearth run` needs, as plain JSON.
 *
 * Why a second process: reading YAML, checking the config and loading the profile catalogue touches
 * about 20 MiB that a Node process does not give back, and keeps the YAML parser and every schema
 * loaded for the life of the agent (docs/BENCHMARKS.md, Footprint). `hearth run` has a short-lived
 * child (`hearth resolve-config`) do it and print the result; the agent itself never loads them.
 */
export interface ResolvedConfig {
  config: LoadedConfig;
  profiles: Array<[string, DeviceProfile]>;
}

/** The child's side: checks the config and prints it as JSON; problems go to stderr and exit 1. */
export async function resolveConfigCommand(opts: { config: string }): Promise<void> {
  const { loadCatalogue } = await import("../profiles/catalogue.js");
  const { loadConfigFile } = await import("../config/load.js");
  const { printProblems } = await import("./io.js");
  const catalogue = loadCatalogue();
  if (catalogue.problems.length > 0)
    printProblems("Some device profiles are broken and were skipped", catalogue.problems);
  const parsed = loadConfigFile(opts.config, catalogue.profiles);
  if (!parsed.ok) {
    printProblems(`${opts.config} is not a valid Hearth config`, parsed.problems);
    throw new CliExit(EXIT.failed);
  }
  const used = new Set(parsed.value.devices.map((d) => d.profile));
  const resolved: ResolvedConfig = {
    config: parsed.value,
    profiles: [...catalogue.profiles].filter(([id]) => used.has(id)),
  };
  process.stdout.write(JSON.stringify(resolved));
}

/** `hearth run`'s side: runs the child and parses what it prints; its messages reach stderr as they are. */
export function resolveConfigInChild(configPath: string): Promise<ResolvedConfig> {
  const main = fileURLToPath(new URL("./main.js", import.meta.url));
  const child = spawn(process.execPath, [main, "resolve-config", "--config", configPath], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const chunks: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    child.once("error", (e) =>
      reject(new CliExit(EXIT.failed, `hearth run: cannot check the config: ${e.message}`)),
    );
    child.once("close", (code) => {
      if (code !== 0) {
        reject(new CliExit(code === EXIT.usage ? EXIT.usage : EXIT.failed));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as ResolvedConfig);
      } catch (e) {
        reject(
          new CliExit(
            EXIT.failed,
            `hearth run: the checked config did not come back whole: ${(e as Error).message}`,
          ),
        );
      }
    });
  });
}
