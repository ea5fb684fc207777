import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCommandDispatcher } from "../../src/agent/commands.js";
import { fieldHandlers } from "../../src/agent/field-handlers.js";
import { parseConfig } from "../../src/config/load.js";
import { SystemClock } from "../../src/core/clock.js";
import { parsePublicKey } from "../../src/core/ed25519-keys.js";
import { silentLogger } from "../../src/core/log.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { configHash } from "../../src/remote-config/redact.js";
import { OTHER_KEY, TEST_CLOUD_PUBLIC_KEY, testCommandPayload } from "../helpers/commands.js";

const HOME = "h-signed";

/** The agent's real command boundary (CommandGuard) in front of the field commands. */
function gateway() {
  const dir = mkdtempSync(join(tmpdir(), "hearth-signed-"));
  const stateDir = join(dir, "state");
  mkdirSync(stateDir);
  const configPath = join(dir, "home.yaml");
  const text = `version: 1\nhome: { id: ${HOME} }\ncloud:\n  brokers: [{ url: "mqtt://127.0.0.1:1883", password: "pw-secret-1" }]\n  commands: { public_key: ${TEST_CLOUD_PUBLIC_KEY} }\n`;
  writeFileSync(configPath, text, { mode: 0o640 });
  const profiles = loadCatalogue().profiles;
  const parsed = parseConfig(text, configPath, profiles);
  if (!parsed.ok) throw new Error("config");
  const none = () => ({});
  const dispatch = createCommandDispatcher({
    home: HOME,
    handlers: {
      ack: none,
      ping: none,
      watch: none,
      resend: none,
      ...fieldHandlers({ configPath, stateDir, config: parsed.value, profiles, log: silentLogger() }),
    },
    clock: new SystemClock({ synced: () => true }),
    log: silentLogger(),
    security: { keys: [parsePublicKey(TEST_CLOUD_PUBLIC_KEY)], insecure: false },
  });
  return { dispatch, configPath, stateDir, text };
}

describe("the field commands are authenticated like every state-changing command", () => {
  it("a signed config_get answers; an unsigned or forged config_set, update or cert_csr is refused and nothing is asked of root", async () => {
    const g = gateway();
    const got = await g.dispatch("config_get", testCommandPayload(HOME, "config_get", {}));
    expect(got).toMatchObject({ status: "ok", data: { hash: configHash(g.text) } });
    expect(JSON.stringify(got)).not.toContain("pw-secret-1");
    const set = { replaces: configHash(g.text), patch: { log_level: "debug" } };
    const unsigned = await g.dispatch(
      "config_set",
      testCommandPayload(HOME, "config_set", set, { key: null }),
    );
    expect(unsigned).toMatchObject({ status: "error", error: { code: "unsigned" } });
    const forged = await g.dispatch(
      "config_set",
      testCommandPayload(HOME, "config_set", set, { key: OTHER_KEY }),
    );
    expect(forged).toMatchObject({ status: "error", error: { code: "bad_signature" } });
    const update = {
      url: "http://127.0.0.1:9/x.tar.gz",
      sha256: "0".repeat(64),
      signature: `${"A".repeat(86)}==`,
    };
    expect(
      await g.dispatch("update", testCommandPayload(HOME, "update", update, { key: OTHER_KEY })),
    ).toMatchObject({
      error: { code: "bad_signature" },
    });
    expect(
      await g.dispatch("cert_csr", testCommandPayload(HOME, "cert_csr", {}, { key: null })),
    ).toMatchObject({
      error: { code: "unsigned" },
    });
    expect(readdirSync(g.stateDir)).toEqual([]);
    expect(readFileSync(g.configPath, "utf8")).toBe(g.text);
    // The signed one goes through to the root helper's queue.
    expect(await g.dispatch("config_set", testCommandPayload(HOME, "config_set", set))).toMatchObject({
      status: "ok",
      data: { accepted: true },
    });
    expect(readdirSync(join(g.stateDir, "privileged", "requests"))).toHaveLength(1);
  });
});
