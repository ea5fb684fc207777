import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { timesyncdSynced } from "../../src/core/time-sync.js";

const root = mkdtempSync(join(tmpdir(), "hearth-timesync-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("timesyncdSynced", () => {
  it("is false while timesyncd runs without a sync, true from its first sync on, and stays true", () => {
    const dir = join(root, "timesync");
    mkdirSync(dir);
    let t = 0;
    const synced = timesyncdSynced(dir, () => t);
    expect(synced()).toBe(false);
    writeFileSync(join(dir, "synchronized"), "");
    // Within a second the last look is trusted; then the flag file is seen.
    t += 500;
    expect(synced()).toBe(false);
    t += 600;
    expect(synced()).toBe(true);
    rmSync(join(dir, "synchronized"));
    t += 5000;
    expect(synced()).toBe(true);
  });

  it("takes the clock as synced where timesyncd does not run (no run directory)", () => {
    expect(timesyncdSynced(join(root, "absent"), () => 0)()).toBe(true);
  });
});
