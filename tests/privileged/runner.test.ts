import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boundaryProblem } from "../../src/privileged/boundary.js";
import { privilegedDirs, takeRequests, writeRequest, writeResult } from "../../src/privileged/index.js";
import { hearthSync } from "../helpers/cli.js";

/** A state directory laid out as deploy/install.sh lays it out (privileged/ owned by the runner, 0755). */
function stateDir() {
  const dir = mkdtempSync(join(tmpdir(), "hearth-privrun-"));
  const { requests, results } = privilegedDirs(dir);
  mkdirSync(requests, { recursive: true });
  mkdirSync(results, { recursive: true });
  chmodSync(join(dir, "privileged"), 0o755);
  return dir;
}
const uid = process.getuid?.() ?? 0;

describe("hearth privileged run (the root helper's pass)", () => {
  it("answers every pending request once: an unknown action is refused with the known ones, logged", () => {
    const dir = stateDir();
    const req = writeRequest(dir, "format-disk", { device: "/dev/mmcblk0" });
    const r = hearthSync(["privileged", "run", "--state-dir", dir]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { results: { id: string; ok: boolean; message: string }[] };
    expect(out.results).toHaveLength(1);
    expect(out.results[0]).toMatchObject({ id: req.id, ok: false });
    expect(out.results[0]?.message).toMatch(/unknown action "format-disk"/);
    expect(r.stderr).toMatch(/privileged request: unknown action/);
    expect(readdirSync(privilegedDirs(dir).requests)).toEqual([]);
    expect(readdirSync(privilegedDirs(dir).results)).toEqual([`${req.id}.json`]);
  });

  it("reads nothing when privileged/ is group-writable or a symlink: the agent's user could swap its parts", () => {
    const dir = stateDir();
    chmodSync(join(dir, "privileged"), 0o775);
    expect(boundaryProblem(dir, uid)).toMatch(/writable by its group or others/);
    const r = hearthSync(["privileged", "run", "--state-dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not reading requests: .*writable by its group or others/);

    const other = mkdtempSync(join(tmpdir(), "hearth-privrun-"));
    symlinkSync(join(dir, "privileged"), join(other, "privileged"));
    expect(boundaryProblem(other, uid)).toMatch(/privileged is a symlink/);
    expect(boundaryProblem(stateDir(), uid + 1)).toMatch(/is owned by uid/);
    expect(boundaryProblem(stateDir(), uid)).toBeUndefined();
  });

  it("a request that is a symlink is not followed (root must not read files for the agent)", () => {
    const dir = stateDir();
    const secret = join(dir, "secret.txt");
    writeFileSync(secret, "root-only-content");
    symlinkSync(secret, join(privilegedDirs(dir).requests, "00000000000001-x.json"));
    const taken = takeRequests(dir);
    expect(taken).toHaveLength(1);
    expect(taken[0]?.text).not.toContain("root-only-content");
    expect(taken[0]?.text).toMatch(/^unreadable:/);
  });

  it("a result is never written through a symlink the agent planted at its temporary name", () => {
    const dir = stateDir();
    const victim = join(dir, "victim");
    writeFileSync(victim, "untouched");
    const id = `${"1".padStart(14, "0")}-00000000-0000-0000-0000-000000000000`;
    symlinkSync(victim, join(privilegedDirs(dir).results, `${id}.json.${process.pid}.tmp`));
    writeResult(dir, { id, action: "x", ok: true, message: "m", finished_at: "t" });
    expect(readFileSync(victim, "utf8")).toBe("untouched");
    expect(JSON.parse(readFileSync(join(privilegedDirs(dir).results, `${id}.json`), "utf8")).id).toBe(id);
  });
});
