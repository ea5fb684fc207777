import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { randomIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { DAY_MS } from "../../src/core/time.js";
import { SqliteOutbox } from "../../src/outbox/index.js";
import { bundleSecrets, writeBundle } from "../../src/support/bundle.js";

const PASSWORD = "Pw-9f8e7d6c5b4a-broker";
const BIND_KEY = "0123456789abcdef0123456789abcdef";
const Z2M_PASSWORD = "zigbee-pass-1234";
const USER_INFO_PASSWORD = "url-pass-5678";

/** A home whose config holds every kind of secret, an outbox with a message, a private key file. */
function home() {
  const dir = mkdtempSync(join(tmpdir(), "hearth-bundle-t-"));
  const stateDir = join(dir, "state");
  mkdirSync(stateDir);
  const keyPath = join(dir, "client.key");
  const keyPem = generateKeyPairSync("ec", { namedCurve: "prime256v1" })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  writeFileSync(keyPath, keyPem, { mode: 0o600 });
  const configPath = join(dir, "home.yaml");
  writeFileSync(
    configPath,
    [
      "version: 1",
      "home: { id: h1 }",
      "cloud:",
      "  brokers:",
      `    - { url: "mqtts://gw:${USER_INFO_PASSWORD}@broker.example:8883", username: gw, password: "${PASSWORD}", tls: { key: ${keyPath} } }`,
      `zigbee2mqtt: { url: "mqtt://127.0.0.1:1883", password: "${Z2M_PASSWORD}" }`,
      "devices:",
      `  - { id: b1, profile: shelly-blu-button1, mac: "AA:BB:CC:DD:EE:01", key: "${BIND_KEY}" }`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const outbox = new SqliteOutbox({
    path: join(stateDir, "outbox.db"),
    home: "h1",
    timeZone: "UTC",
    clock: new VirtualClock(),
    ids: randomIds,
    maxSizeBytes: 16 * 1024 * 1024,
    retentionMs: DAY_MS,
    telemetryBatch: 10,
    telemetryFlushMs: 2000,
    log: silentLogger(),
  });
  outbox.open();
  outbox.putEvent({ event: "button", device: "b1", data: { note: "the person's data" } });
  outbox.close();
  const keyLines = keyPem.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"));
  return { dir, stateDir, configPath, keyLines };
}

/** Every byte of every file in the archive, as text. */
function archiveText(path: string): { names: string[]; text: string } {
  const out = mkdtempSync(join(tmpdir(), "hearth-bundle-x-"));
  execFileSync("tar", ["-xzf", path, "-C", out]);
  const names: string[] = [];
  let text = "";
  const walk = (d: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, n.name);
      if (n.isDirectory()) walk(p);
      else {
        names.push(n.name);
        text += readFileSync(p, "utf8");
      }
    }
  };
  walk(out);
  return { names: names.sort(), text };
}

describe("hearth support-bundle", () => {
  it("holds versions, redacted config, status, doctor, outbox numbers, journal and unit, and no secret of the config", async () => {
    const h = home();
    const out = join(h.dir, "bundle.tar.gz");
    // Status and doctor as a broken setup might answer: quoting the secrets they were given.
    const leaky = {
      broker: `mqtts://gw:${USER_INFO_PASSWORD}@broker.example:8883`,
      password: PASSWORD,
      key: BIND_KEY,
    };
    const r = await writeBundle({
      configPath: h.configPath,
      stateDir: h.stateDir,
      out,
      withBodies: false,
      sinceS: 6 * 3600,
      version: "9.9.9",
      status: () =>
        Promise.resolve({ uplink: { connected: false, lastError: `auth failed for ${PASSWORD}` } }),
      doctor: () => Promise.resolve({ ok: false, checks: [leaky] }),
      command: (cmd) =>
        Promise.resolve(
          cmd === "journalctl"
            ? `Dec 07 hearth: connecting with ${Z2M_PASSWORD} and ${h.keyLines[0]}\n`
            : "ActiveState=active\n",
        ),
    });
    expect(r.out).toBe(out);
    const { names, text } = archiveText(out);
    expect(names).toEqual([
      "bundle.json",
      "config.yaml",
      "doctor.json",
      "journal.txt",
      "outbox.json",
      "status.json",
      "unit.txt",
      "versions.json",
    ]);
    const secrets = [PASSWORD, BIND_KEY, Z2M_PASSWORD, USER_INFO_PASSWORD, ...h.keyLines];
    expect(h.keyLines.length).toBeGreaterThan(0);
    for (const s of secrets) expect(text).not.toContain(s);
    // Not in the compressed bytes either (a file name, a tar header).
    const raw = gunzipSync(readFileSync(out)).toString("latin1");
    for (const s of secrets) expect(raw).not.toContain(s);
    expect(text).toContain('"hearth": "9.9.9"');
    expect(text).toContain("ActiveState=active");
    expect(text).toMatch(/"event": 1|"depth"/);
    expect(text).not.toContain("the person's data");
  });

  it("includes pending bodies only with --with-bodies; a missing journalctl is a note, not a failure", async () => {
    const h = home();
    const out = join(h.dir, "b.tar.gz");
    const r = await writeBundle({
      configPath: h.configPath,
      stateDir: h.stateDir,
      out,
      withBodies: true,
      sinceS: 3600,
      version: "9.9.9",
      status: () => Promise.reject(new Error("no agent is running")),
      doctor: () => Promise.resolve({ ok: true, checks: [] }),
      command: (cmd) => Promise.resolve(`(${cmd} is not installed here: nothing collected)\n`),
    });
    expect(r.notes.join("\n")).toMatch(/journal.txt: \(journalctl is not installed here/);
    const { names, text } = archiveText(out);
    expect(names).toContain("pending-messages.jsonl");
    expect(text).toContain("the person's data");
    expect(text).toContain("no agent is running");
    expect(text).not.toContain(BIND_KEY);
  });

  it("finds the secrets a config holds or names", () => {
    const h = home();
    const s = bundleSecrets(readFileSync(h.configPath, "utf8"));
    for (const x of [PASSWORD, BIND_KEY, Z2M_PASSWORD, USER_INFO_PASSWORD, ...h.keyLines])
      expect(s).toContain(x);
  });
});
