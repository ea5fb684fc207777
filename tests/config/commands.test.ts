import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { commandSecurity, securityHealth } from "../../src/agent/command-security.js";
import { parseConfig } from "../../src/config/load.js";
import { formatProblem } from "../../src/core/yaml-validate.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { TEST_CLOUD_KEY_FILE, TEST_CLOUD_PUBLIC_KEY, TEST_CLOUD_PUBLIC_PEM } from "../helpers/commands.js";
import { captureLog } from "../helpers/log-capture.js";

const profiles = loadCatalogue().profiles;
const config = (commands: string, devices = "[]") =>
  parseConfig(
    `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud:
  brokers: [ { url: "mqtt://127.0.0.1:1883" } ]
${commands}
devices: ${devices}
`,
    "home.yaml",
    profiles,
  );

describe("cloud.commands", () => {
  it("takes the key as base64, as PEM, or a list for a rotation", () => {
    const pem = TEST_CLOUD_PUBLIC_PEM.trim().replace(/\n/g, "\\n");
    for (const c of [
      `  commands: { public_key: "${TEST_CLOUD_PUBLIC_KEY}" }`,
      `  commands: { public_key: "${pem}" }`,
      `  commands: { public_key: ["${TEST_CLOUD_PUBLIC_KEY}", "${pem}"] }`,
    ]) {
      const r = config(c);
      expect(r.ok, c).toBe(true);
      if (!r.ok) continue;
      const { log } = captureLog();
      expect(securityHealth(r.value, commandSecurity(r.value, log)).commands).toBe("signed");
    }
  });

  it("refuses a private key pasted by mistake, and never prints it back", () => {
    const pem = readFileSync(TEST_CLOUD_KEY_FILE, "utf8").trim();
    for (const c of [
      `  commands: { public_key: "${pem.replace(/\n/g, "\\n")}" }`,
      `  commands: { public_key: ["${TEST_CLOUD_PUBLIC_KEY}", "${pem.replace(/\n/g, "\\n")}"] }`,
    ]) {
      const r = config(c);
      expect(r.ok, c).toBe(false);
      if (r.ok) continue;
      const text = r.problems.map(formatProblem).join("\n");
      expect(text).toContain("a private key (not shown)");
      const body = pem.split("\n")[1] as string;
      expect(text).not.toContain(body.slice(0, 16));
    }
  });

  it("refuses a key that is not Ed25519, naming the field", () => {
    const wrong = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=";
    const r = config(`  commands: { public_key: "${wrong}" }`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.map(formatProblem).join("\n");
    expect(r.problems[0]?.path).toBe("cloud.commands.public_key");
    expect(text).toMatch(/Ed25519/);
  });

  it("without a key: refused unless insecure: true, said at start, in status and heartbeat with keyless buttons", () => {
    const none = config("");
    expect(none.ok).toBe(true);
    if (!none.ok) return;
    const a = captureLog();
    expect(securityHealth(none.value, commandSecurity(none.value, a.log))).toEqual({
      commands: "refused",
      insecure_buttons: [],
    });
    expect(a.text()).toMatch(/every command from the cloud is refused/);
    const open = config(
      "  commands: { insecure: true }",
      '[ { id: button-9, profile: shelly-blu-button1, mac: "AA:BB:CC:DD:EE:FF", insecure: true } ]',
    );
    expect(open.ok).toBe(true);
    if (!open.ok) return;
    const b = captureLog();
    expect(securityHealth(open.value, commandSecurity(open.value, b.log))).toEqual({
      commands: "insecure",
      insecure_buttons: ["button-9"],
    });
    expect(b.text()).toMatch(/accepted unsigned/);
  });
});
