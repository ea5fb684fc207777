import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { privilegedActions } from "../../src/privileged/actions/index.js";
import { runPendingRequests } from "../../src/privileged/index.js";
import { hearth } from "../helpers/cli.js";
import { fakeGateway, releaseTarball, snapshot } from "./helpers.js";

/** The built `hearth release sign` and `hearth update`, with the root helper played here. */
async function setup() {
  const gw = fakeGateway();
  const key = join(gw.root, "release.key");
  const kg = await hearth(["keygen", "--out", key]);
  expect(kg.code).toBe(0);
  const pub = readFileSync(`${key}.pub`, "utf8");
  writeFileSync(
    gw.configPath,
    `version: 1\nhome: { id: h1 }\nstate_dir: ${gw.stateDir}\ncloud:\n  brokers: [{ url: "mqtt://127.0.0.1:1883" }]\n  release_public_key: |\n${pub.replace(/^(?=.)/gm, "    ")}`,
    { mode: 0o640 },
  );
  const tarball = join(gw.root, "hearth-1.1.0-test.tar.gz");
  writeFileSync(tarball, releaseTarball("1.1.0", "healthy"));
  const actions = privilegedActions({
    restart: () => Promise.resolve(),
    health: () => () => Promise.resolve({ ok: true, detail: "connected" }),
  });
  const helper = setInterval(() => {
    void runPendingRequests(gw.stateDir, actions, {
      root: gw.root,
      log: silentLogger(),
      now: () => new Date(),
    });
  }, 50);
  return { gw, key, tarball, stop: () => clearInterval(helper) };
}

describe("hearth release sign, hearth update", () => {
  it("signs a release; the update is switched to by the root helper and reported", async () => {
    const s = await setup();
    try {
      const signed = await hearth(["release", "sign", "--key", s.key, s.tarball]);
      expect(signed.code).toBe(0);
      expect(readFileSync(`${s.tarball}.sig`, "utf8").trim()).toMatch(/^[A-Za-z0-9+/]{86}==$/);
      const r = await hearth(["update", s.tarball, "--config", s.gw.configPath, "--wait", "30s"]);
      expect(r.stderr).toContain("signature good");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, action: "switch-release" });
      expect(readlinkSync(join(s.gw.optDir, "current"))).toBe("releases/1.1.0");
    } finally {
      s.stop();
    }
  }, 60_000);

  it("a signature by another key: exit 1, nothing on the gateway changed", async () => {
    const s = await setup();
    try {
      const other = join(s.gw.root, "other.key");
      expect((await hearth(["keygen", "--out", other])).code).toBe(0);
      expect((await hearth(["release", "sign", "--key", other, s.tarball])).code).toBe(0);
      const before = snapshot(join(s.gw.root, "opt"));
      const stateBefore = snapshot(s.gw.stateDir);
      const r = await hearth(["update", s.tarball, "--config", s.gw.configPath, "--wait", "5s"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/hearth update: the release signature does not verify with the release key/);
      expect(snapshot(join(s.gw.root, "opt"))).toEqual(before);
      expect(snapshot(s.gw.stateDir)).toEqual(stateBefore);
      expect(existsSync(join(s.gw.stateDir, "updates"))).toBe(false);
    } finally {
      s.stop();
    }
  }, 60_000);
});
