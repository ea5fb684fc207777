import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify } from "yaml";
import { fieldHandlers } from "../../src/agent/field-handlers.js";
import { parseConfig } from "../../src/config/load.js";
import type { CommandEnvelope } from "../../src/contract/messages.js";
import { rawPublicKey } from "../../src/core/ed25519-keys.js";
import { silentLogger } from "../../src/core/log.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { drainOutcomes, type OutcomeEvent } from "../../src/lifecycle/outcomes.js";
import { privilegedActions } from "../../src/privileged/actions/index.js";
import { runPendingRequests, takeResult } from "../../src/privileged/index.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { mergePatch } from "../../src/remote-config/change.js";
import { checkBroker } from "../../src/uplink/check-connect.js";
import { freePort, startAedes, type TestBroker } from "../helpers/brokers.js";

const profiles = loadCatalogue().profiles;
const key = () => rawPublicKey(generateKeyPairSync("ed25519").publicKey);
const cmd = (id: string) => ({ id }) as CommandEnvelope;

let broker: TestBroker;
beforeAll(async () => {
  broker = await startAedes();
});
afterAll(() => broker.close());

/**
 * A gateway in a throwaway directory whose agent side (the command handlers) and root side (the
 * write-config action) both run here. Restarting is counted; health is a real connection to the
 * broker the config file names *as written*, as a restarted agent would make.
 */
function gateway() {
  const dir = mkdtempSync(join(tmpdir(), "hearth-cfg-"));
  const stateDir = join(dir, "state");
  mkdirSync(stateDir);
  const configPath = join(dir, "home.yaml");
  const text = [
    "version: 1",
    "home: { id: h1 }",
    "cloud:",
    `  brokers: [{ url: "${broker.url}", mqtt_version: "3.1.1", username: gw, password: "s3cret-broker-pass" }]`,
    `  commands: { public_key: ${key()} }`,
    `  release_public_key: ${key()}`,
    "",
  ].join("\n");
  writeFileSync(configPath, text, { mode: 0o640 });
  const parsed = parseConfig(text, configPath, profiles);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const handlers = fieldHandlers({
    configPath,
    stateDir,
    config: parsed.value,
    profiles,
    log: silentLogger(),
  });
  let restarts = 0;
  const actions = privilegedActions({
    stateDir,
    configPath,
    restart: () => {
      restarts++;
      return Promise.resolve();
    },
    health: () => async () => {
      const now = parseConfig(readFileSync(configPath, "utf8"), configPath, profiles);
      if (!now.ok) return { ok: false, detail: "config invalid" };
      const b = now.value.cloud.brokers[0];
      if (!b) return { ok: false, detail: "no broker" };
      const r = await checkBroker(b, now.value.home.id, 3000);
      return { ok: r.ok, detail: r.detail };
    },
    healthTimeoutMs: 3000,
  });
  const helper = () =>
    runPendingRequests(stateDir, actions, { root: "/", log: silentLogger(), now: () => new Date() });
  const outcomes = () => {
    const out: OutcomeEvent[] = [];
    drainOutcomes(stateDir, (o) => out.push(o));
    return out;
  };
  return { configPath, stateDir, text, handlers, helper, outcomes, restarts: () => restarts };
}

describe("remote configuration (config_get, config_set, write-config)", () => {
  it("config_get shows no secret and the file's hash; a valid patch is applied after a restart and reported", async () => {
    const g = gateway();
    const got = (await g.handlers.config_get({}, cmd("c-get-0001"))) as { config: string; hash: string };
    expect(got.config).not.toContain("s3cret-broker-pass");
    expect(got.config).toContain("password: <redacted>");
    const reply = await g.handlers.config_set(
      { replaces: got.hash, patch: { log_level: "debug" } },
      cmd("c-set-0001"),
    );
    expect(reply).toMatchObject({ accepted: true });
    const [result] = await g.helper();
    expect(result).toMatchObject({ ok: true });
    const now = readFileSync(g.configPath, "utf8");
    expect(parseYaml(now)).toMatchObject({
      log_level: "debug",
      cloud: { brokers: [{ password: "s3cret-broker-pass" }] },
    });
    expect(g.restarts()).toBe(1);
    expect(g.outcomes()).toEqual([
      {
        event: "config_applied",
        data: expect.objectContaining({ command_id: "c-set-0001", to: (reply as { hash: string }).hash }),
      },
    ]);
  });

  it("a whole config sent back with <redacted> keeps the secret it had", async () => {
    const g = gateway();
    const got = (await g.handlers.config_get({}, cmd("c-get-0002"))) as { config: string; hash: string };
    await g.handlers.config_set(
      { replaces: got.hash, config: got.config.replace("version: 1", "version: 1\nlog_level: warn") },
      cmd("c-set-0002"),
    );
    expect((await g.helper())[0]?.ok).toBe(true);
    expect(parseYaml(readFileSync(g.configPath, "utf8"))).toMatchObject({
      log_level: "warn",
      cloud: { brokers: [{ password: "s3cret-broker-pass" }] },
    });
  });

  it("an invalid change is refused with the validator's own message, nothing written", async () => {
    const g = gateway();
    const got = (await g.handlers.config_get({}, cmd("c-get-0003"))) as { hash: string };
    const patch = { cloud: { heartbeat: "soon" }, devices: [{ id: "m1", profile: "no-such-meter" }] };
    // What `hearth validate` says of the file this change would write.
    const wouldBe = `# Written by config_set; hearth validate checks it.\n${stringify(mergePatch(parseYaml(g.text), patch), { lineWidth: 0 })}`;
    const problems = parseConfig(wouldBe, g.configPath, profiles);
    expect(problems.ok).toBe(false);
    const messages = problems.ok ? [] : problems.problems.map(formatProblem);
    expect(messages.length).toBeGreaterThanOrEqual(1);
    const refusal = Promise.resolve().then(() =>
      g.handlers.config_set({ replaces: got.hash, patch }, cmd("c-set-0003")),
    );
    await expect(refusal).rejects.toThrow(/would not be a valid Hearth config/);
    const message = await refusal.catch((e: Error) => e.message);
    for (const m of messages) expect(message).toContain(m);
    expect(readFileSync(g.configPath, "utf8")).toBe(g.text);
    expect(await g.helper()).toEqual([]);
  });

  it("a change that breaks the connection is rolled back to the previous file, and says so", async () => {
    const g = gateway();
    const got = (await g.handlers.config_get({}, cmd("c-get-0004"))) as { hash: string };
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    await g.handlers.config_set(
      { replaces: got.hash, patch: { cloud: { brokers: [{ url: dead }] } } },
      cmd("c-set-0004"),
    );
    const [result] = await g.helper();
    expect(result?.ok).toBe(false);
    expect(result?.message).toMatch(/the new config was rolled back/);
    expect(takeResult(g.stateDir, result?.id ?? "")).toBeDefined();
    expect(readFileSync(g.configPath, "utf8")).toBe(g.text);
    expect(g.restarts()).toBe(2);
    expect(g.outcomes()).toEqual([
      {
        event: "config_rolled_back",
        data: expect.objectContaining({
          command_id: "c-set-0004",
          reason: expect.stringContaining("127.0.0.1"),
        }),
      },
    ]);
  });

  it("cannot change the command key or the release key, nor replace a file that changed since", async () => {
    const g = gateway();
    const got = (await g.handlers.config_get({}, cmd("c-get-0005"))) as { hash: string };
    for (const patch of [
      { cloud: { commands: { public_key: key() } } },
      { cloud: { commands: { public_key: null, insecure: true } } },
      { cloud: { release_public_key: key() } },
      { cloud: { release_public_key: null } },
    ])
      await expect(g.handlers.config_set({ replaces: got.hash, patch }, cmd("c-set-0005"))).rejects.toThrow(
        /cannot change cloud.commands \(the command key\) or cloud.release_public_key/,
      );
    await expect(
      Promise.resolve().then(() =>
        g.handlers.config_set(
          { replaces: got.hash, patch: { state_dir: "/tmp/elsewhere" } },
          cmd("c-set-0007"),
        ),
      ),
    ).rejects.toThrow(/cannot change state_dir/);
    await expect(
      g.handlers.config_set({ replaces: "0".repeat(64), patch: { log_level: "debug" } }, cmd("c-set-0006")),
    ).rejects.toThrow(/changed since/);
    expect(readFileSync(g.configPath, "utf8")).toBe(g.text);
  });
});
