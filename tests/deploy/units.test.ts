import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { haveTool, requireTool } from "../helpers/tools.js";
import { ROOT } from "./install-rig.js";

const ANALYZE = "systemd-analyze";
const present = requireTool(ANALYZE, haveTool(ANALYZE, ["--version"]), "apt-get install systemd");
const UNITS = [
  "hearth.service",
  "hearth-firstboot.service",
  "hearth-privileged.path",
  "hearth-privileged.service",
];
const unit = (u: string) => join(ROOT, "deploy", u);

/** The exposure score `systemd-analyze security --offline=true` gives a unit file (0 best, 10 worst). */
function exposure(file: string): { score: number; out: string } {
  const r = spawnSync(ANALYZE, ["security", "--offline=true", "--no-pager", file], { encoding: "utf8" });
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout);
  if (!m?.[1]) throw new Error(`no exposure level in: ${r.stdout}${r.stderr}`);
  return { score: Number(m[1]), out: r.stdout };
}

describe.skipIf(!present)("deploy units under systemd-analyze", () => {
  it("verify finds nothing to say about any unit (ExecStart's /usr/bin/node must exist: it is checked)", () => {
    const r = spawnSync(ANALYZE, ["verify", ...UNITS.map(unit)], { encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.status).toBe(0);
  });

  it("hearth.service's exposure is at most 2.0 (docs/deployment.md records the figure)", () => {
    const { score, out } = exposure(unit("hearth.service"));
    expect(score, out).toBeLessThanOrEqual(2.0);
  });

  it("the check can fail: the unit of the review (four directives) scores far above", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-unit-"));
    const f = join(dir, "old.service");
    writeFileSync(
      f,
      "[Service]\nExecStart=/usr/bin/node x\nUser=hearth\nNoNewPrivileges=true\nProtectSystem=strict\nProtectHome=true\nPrivateTmp=true\n",
    );
    expect(exposure(f).score).toBeGreaterThan(5);
  });
});
