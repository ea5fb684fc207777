import { formatProblem, type Problem } from "../core/yaml-validate.js";

/** Data goes to stdout; messages for people go to stderr. */
export function printJson(value: unknown, pretty = true): void {
  process.stdout.write(`${pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`);
}

export function printProblems(title: string, problems: readonly Problem[]): void {
  process.stderr.write(`${title} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n`);
  for (const p of problems) process.stderr.write(`  ${formatProblem(p)}\n`);
}
