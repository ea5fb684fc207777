import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../../src/core/paths.js";

/**
 * The V8 flags `hearth run` is measured with: HEARTH_BENCH_NODE_FLAGS when set (space-separated, empty
 * for none), else the systemd unit's own (deploy/hearth.service's ExecStart), so that the benchmarks
 * measure what a gateway runs.
 */
export function agentNodeFlags(): string[] {
  const env = process.env.HEARTH_BENCH_NODE_FLAGS;
  if (env !== undefined) return env.split(" ").filter((f) => f !== "");
  const unit = readFileSync(join(packageRoot(), "deploy/hearth.service"), "utf8");
  const exec = /^ExecStart=\S+\s+(.*)$/m.exec(unit)?.[1] ?? "";
  const flags: string[] = [];
  for (const word of exec.split(/\s+/)) {
    if (!word.startsWith("--")) break;
    flags.push(word);
  }
  return flags;
}
