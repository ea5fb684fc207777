import { generateKeyPairSync } from "node:crypto";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import type { HealthExpectation } from "../../src/lifecycle/health.js";
import { drainOutcomes, type OutcomeEvent } from "../../src/lifecycle/outcomes.js";
import { privilegedActions } from "../../src/privileged/actions/index.js";
import { runPendingRequests, takeResult } from "../../src/privileged/index.js";
import { signRelease } from "../../src/update/signature.js";
import { stageRelease } from "../../src/update/stage.js";
import { fakeGateway, type Gateway, releaseTarball, snapshot } from "./helpers.js";

/**
 * The root helper's switch-release against a throwaway root: restart and health are injected. The
 * fake health check reads the stub CLI `current` points to: "healthy" or "broken", as a real agent
 * of that release would or would not come back connected.
 */
function helper(gw: Gateway) {
  const restarts: string[] = [];
  const asked: HealthExpectation[] = [];
  const current = () => readlinkSync(join(gw.optDir, "current"));
  const actions = privilegedActions({
    stateDir: "/var/lib/hearth",
    configPath: "/etc/hearth/home.yaml",
    optDir: "/opt/hearth",
    restart: () => {
      restarts.push(current());
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
    health: () => (expect) => {
      asked.push(expect);
      const stub = readFileSync(join(gw.optDir, "current/dist/src/cli/main.js"), "utf8");
      return Promise.resolve(
        stub.includes("healthy")
          ? { ok: true, detail: "connected" }
          : { ok: false, detail: "not connected to a broker" },
      );
    },
    healthTimeoutMs: 1000,
  });
  const runOnce = () =>
    runPendingRequests(gw.stateDir, actions, { root: gw.root, log: silentLogger(), now: () => new Date() });
  return { restarts, asked, current, runOnce };
}

function configKey(gw: Gateway): string {
  return /release_public_key: (\S+)/.exec(readFileSync(gw.configPath, "utf8"))?.[1] as string;
}

function outcomes(gw: Gateway): OutcomeEvent[] {
  const out: OutcomeEvent[] = [];
  drainOutcomes(gw.stateDir, (o) => out.push(o));
  return out;
}

describe("updates that roll back (switch-release)", () => {
  it("a good release is unpacked, switched to, restarted once and reported as update_applied", async () => {
    const gw = fakeGateway();
    const h = helper(gw);
    const tar = releaseTarball("1.1.0", "healthy");
    const req = stageRelease(gw.stateDir, tar, signRelease(tar, gw.releaseKey), configKey(gw));
    await h.runOnce();
    expect(takeResult(gw.stateDir, req.id)).toMatchObject({ ok: true });
    expect(h.current()).toBe("releases/1.1.0");
    expect(h.restarts).toEqual(["releases/1.1.0"]);
    expect(h.asked[0]?.version).toBe("1.1.0");
    expect(readdirSync(join(gw.optDir, "releases")).sort()).toEqual(["1.0.0", "1.1.0"]);
    expect(outcomes(gw)).toEqual([
      {
        event: "update_applied",
        data: expect.objectContaining({ from: "1.0.0", to: "1.1.0", health: "connected" }),
      },
    ]);
    // The staged tarball is gone once used.
    expect(readdirSync(join(gw.stateDir, "updates"))).toEqual([]);
  });

  it("a release that fails its health check is rolled back and reported as update_failed", async () => {
    const gw = fakeGateway();
    const h = helper(gw);
    const tar = releaseTarball("1.2.0", "broken");
    const req = stageRelease(gw.stateDir, tar, signRelease(tar, gw.releaseKey), configKey(gw));
    await h.runOnce();
    const result = takeResult(gw.stateDir, req.id);
    expect(result?.ok).toBe(false);
    expect(result?.message).toMatch(
      /1\.2\.0 was not healthy \(not connected to a broker\): rolled back to 1\.0\.0/,
    );
    expect(h.current()).toBe("releases/1.0.0");
    // Restarted on the new release, then again on the old one.
    expect(h.restarts).toEqual(["releases/1.2.0", "releases/1.0.0"]);
    expect(outcomes(gw)).toEqual([
      {
        event: "update_failed",
        data: expect.objectContaining({ from: "1.0.0", to: "1.2.0", rolled_back: true }),
      },
    ]);
  });

  it("a bad signature is refused by the agent before anything changes", () => {
    const gw = fakeGateway();
    const before = snapshot(gw.root);
    const tar = releaseTarball("1.3.0", "healthy");
    const other = generateKeyPairSync("ed25519").privateKey;
    expect(() => stageRelease(gw.stateDir, tar, signRelease(tar, other), configKey(gw))).toThrow(
      /signature does not verify with the release key/,
    );
    expect(snapshot(gw.root)).toEqual(before);
  });

  it("a request with a bad signature is refused by the helper too, the tree untouched (the writer is not trusted)", async () => {
    const gw = fakeGateway();
    const h = helper(gw);
    const good = releaseTarball("1.4.0", "healthy");
    // Staged properly, then the tarball swapped for another with the same name: its signature no longer fits.
    const req = stageRelease(gw.stateDir, good, signRelease(good, gw.releaseKey), configKey(gw));
    const staged = join(gw.stateDir, "updates", readdirSync(join(gw.stateDir, "updates"))[0] as string);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(staged, releaseTarball("6.6.6", "healthy"));
    const before = snapshot(join(gw.root, "opt"));
    await h.runOnce();
    expect(takeResult(gw.stateDir, req.id)?.message).toMatch(/signature does not verify/);
    expect(snapshot(join(gw.root, "opt"))).toEqual(before);
    expect(h.restarts).toEqual([]);
    expect(existsSync(join(gw.optDir, "releases/6.6.6"))).toBe(false);
  });

  it("a restart that fails on the new release counts as unhealthy: switched back", async () => {
    const gw = fakeGateway();
    let calls = 0;
    const actions = privilegedActions({
      restart: () =>
        ++calls === 1 ? Promise.reject(new Error("Job for hearth.service failed")) : Promise.resolve(),
      health: () => () => Promise.resolve({ ok: true, detail: "connected" }),
    });
    const tar = releaseTarball("1.6.0", "healthy");
    const req = stageRelease(gw.stateDir, tar, signRelease(tar, gw.releaseKey), configKey(gw));
    await runPendingRequests(gw.stateDir, actions, {
      root: gw.root,
      log: silentLogger(),
      now: () => new Date(),
    });
    expect(takeResult(gw.stateDir, req.id)?.message).toMatch(
      /the restart failed: Job for hearth.service failed\): rolled back to 1\.0\.0/,
    );
    expect(readlinkSync(join(gw.optDir, "current"))).toBe("releases/1.0.0");
    expect(calls).toBe(2);
  });

  it("a config without a release key refuses every update", () => {
    const gw = fakeGateway();
    const tar = releaseTarball("1.5.0", "healthy");
    expect(() => stageRelease(gw.stateDir, tar, signRelease(tar, gw.releaseKey), undefined)).toThrow(
      /no release key in the config/,
    );
  });
});
