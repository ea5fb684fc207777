import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.js";
import { Household, recordLine } from "../../src/sim/household.js";

const MAIN = join(packageRoot(), "dist/src/cli/main.js");

describe("hearth routine", () => {
  it("learns the routine from a replay and prints it as a chart of 7 weekdays × 24 hours", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-routine-"));
    const file = join(dir, "in.jsonl");
    const h = new Household({ seed: 5, days: 16, incident: false });
    writeFileSync(file, `${[...h.records()].map(recordLine).join("\n")}\n`);
    const r = spawnSync(process.execPath, [MAIN, "routine", "--input", file], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^learned routine: 1[56]\.\d days of history$/);
    const rows = lines.filter((l) => /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) {2}/.test(l));
    expect(rows).toHaveLength(7);
    // Small hours are quieter than mid-morning on the whole week.
    const dens = (col: number) => rows.reduce((s, row) => s + " .:-=+*#%@".indexOf(row[5 + col] ?? " "), 0);
    expect(dens(3)).toBeLessThan(dens(10));
    expect(r.stdout).toMatch(/machine steps \(not counted as a person\): meter-1: \d+ W/);
  });

  it("says so when there is nothing learned in the state directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-routine-"));
    const r = spawnSync(process.execPath, [MAIN, "routine", "--state-dir", dir], { encoding: "utf8" });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/no outbox/);
  });
});
