import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { verifyCommand } from "../../src/contract/command-signing.js";
import { commandEnvelope } from "../../src/contract/messages.js";
import { parsePublicKey } from "../../src/core/ed25519-keys.js";
import { hearthSync } from "../helpers/cli.js";
import { TEST_CLOUD_KEY_FILE, TEST_CLOUD_PUBLIC_KEY } from "../helpers/commands.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "hearth-keys-"));
  dirs.push(d);
  return d;
};

describe("hearth keygen and hearth sign", () => {
  it("keygen writes a private key only its owner reads and prints the config lines; never overwrites", () => {
    const out = join(tmp(), "cloud.key");
    const r = hearthSync(["keygen", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const printed = parse(r.stdout) as { cloud: { commands: { public_key: string } } };
    const pub = parsePublicKey(printed.cloud.commands.public_key);
    expect(pub.export({ format: "pem", type: "spki" })).toBe(readFileSync(`${out}.pub`, "utf8"));
    expect(r.stdout).not.toContain("PRIVATE");
    const again = hearthSync(["keygen", "--out", out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists/);
    expect(hearthSync(["keygen"]).code).toBe(2);
  });

  it("sign prints one valid command signed for its topic", () => {
    const r = hearthSync([
      "sign",
      "ack",
      '{"alert":"9d2c0000-0001","kind":"call","by":"operator"}',
      "--key",
      TEST_CLOUD_KEY_FILE,
      "--home",
      "home-0001",
      "--id",
      "op-test-00001",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const cmd = JSON.parse(r.stdout) as Record<string, unknown>;
    const env = commandEnvelope.parse(cmd);
    expect(env.id).toBe("op-test-00001");
    expect(Date.parse(env.expires) - Date.parse(env.ts)).toBe(5 * 60_000);
    expect(r.stderr).toContain("hearth/v1/home-0001/cmd/ack");
    const key = [parsePublicKey(TEST_CLOUD_PUBLIC_KEY)];
    expect(verifyCommand("hearth/v1/home-0001/cmd/ack", cmd, key)).toBe(true);
    expect(verifyCommand("hearth/v1/home-0002/cmd/ack", cmd, key)).toBe(false);
  });

  it("sign refuses a bad body (1), and wrong usage (2): unknown command, long ttl, not JSON", () => {
    const base = ["--key", TEST_CLOUD_KEY_FILE, "--home", "h1"];
    const noKind = hearthSync(["sign", "ack", '{"alert":"9d2c0000-0001"}', ...base]);
    expect(noKind.code).toBe(1);
    expect(noKind.stderr).toMatch(/kind/);
    expect(noKind.stdout).toBe("");
    expect(hearthSync(["sign", "reboot", "{}", ...base]).code).toBe(2);
    expect(hearthSync(["sign", "ping", "{}", ...base, "--ttl", "1h"]).code).toBe(2);
    expect(hearthSync(["sign", "ping", "{nope", ...base]).code).toBe(2);
    const notAKey = join(tmp(), "not-a-key.pem");
    writeFileSync(notAKey, "hello");
    const bad = hearthSync(["sign", "ping", "{}", "--key", notAKey, "--home", "h1"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/PEM/);
  });
});
