import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { rawPublicKey } from "../../src/core/ed25519-keys.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { configText, planConfig } from "../../src/provision/build.js";
import { valuesFromText } from "../../src/provision/values.js";

describe("hearth provision --release-key", () => {
  it("puts the release key in cloud.release_public_key, beside (not instead of) the command key", () => {
    const release = generateKeyPairSync("ed25519").publicKey;
    const command = generateKeyPairSync("ed25519").publicKey;
    const values = valuesFromText(
      "home: h1\ntimezone: UTC\nbroker: mqtt://127.0.0.1:1883\nrelease_key: /k.pub\n",
      "v.yaml",
    );
    expect(values.releaseKey).toBe("/k.pub");
    const plan = planConfig({
      values,
      dir: "/etc/hearth",
      snippets: [],
      cloudKey: rawPublicKey(command),
      releaseKey: `${release.export({ format: "pem", type: "spki" }).toString()}`,
    });
    const parsed = parseConfig(configText(plan.doc), "home.yaml", loadCatalogue().profiles);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.value.cloud.release_public_key).toContain("BEGIN PUBLIC KEY");
    expect(parsed.value.cloud.commands.public_key).toBe(rawPublicKey(command));
  });

  it("a private key pasted as the release key is refused by the validator", () => {
    const priv = generateKeyPairSync("ed25519")
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString();
    const text = `version: 1\nhome: { id: h1 }\ncloud:\n  brokers: [{ url: "mqtt://127.0.0.1:1883" }]\n  release_public_key: |\n${priv.replace(/^/gm, "    ")}`;
    const parsed = parseConfig(text, "home.yaml", loadCatalogue().profiles);
    expect(parsed.ok).toBe(false);
  });
});
