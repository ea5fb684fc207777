import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mosquittoAvailable, startAedes, startMosquitto, type TestBroker } from "../helpers/brokers.js";
import { makeCerts } from "../helpers/certs.js";
import { HEARTH_MAIN, hearth, type Ran } from "../helpers/cli.js";
import { haveTool, requireTool } from "../helpers/tools.js";

const SNIPPET = `devices:
  - id: water-1
    profile: generic-modbus-water
    port: /dev/ttyUSB0
    unit_id: 2
`;
/** Users and groups every Debian system has: the test runs as root and gives files to them. */
const USER = { name: "daemon", uid: 1 };
const GROUP = { name: "users", gid: 100 };

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "hearth-provision-"));
  const certs = makeCerts(join(dir, "installer"), 400);
  const snippet = join(dir, "water.yaml");
  writeFileSync(snippet, SNIPPET);
  const etc = join(dir, "etc");
  return { dir, certs, snippet, etc, config: join(etc, "home.yaml") };
}

const mode = (f: string) => {
  const s = statSync(f);
  return { mode: (s.mode & 0o777).toString(8), uid: s.uid, gid: s.gid };
};

/** `hearth …` on a pseudo-terminal (util-linux script), with `input` typed into it. */
function onTerminal(args: string[], input: string): Promise<Ran> {
  const cmd = [process.execPath, HEARTH_MAIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", cmd, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // Typed once the program is up; the prompter keeps lines typed ahead of their question.
    setTimeout(() => child.stdin.end(input), 1500);
  });
}

describe("hearth provision", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it.skipIf(!mosquittoAvailable())(
    "from flags: writes the config 0640 root:<group>, the key 0600 for the service user, tries the broker over mutual TLS",
    async () => {
      const s = setup();
      const tlsBroker = await startMosquitto({
        tls: { ca: s.certs.ca, cert: s.certs.serverCert, key: s.certs.serverKey, requireClientCert: true },
      });
      const url = `mqtts://127.0.0.1:${tlsBroker.port}`;
      const r = await hearth([
        "provision",
        "--config",
        s.config,
        "--home",
        "home-prov",
        "--timezone",
        "Europe/Berlin",
        "--broker",
        url,
        "--ca",
        s.certs.ca,
        "--cert",
        s.certs.clientCert,
        "--key",
        s.certs.clientKey,
        "--cloud-key",
        join(import.meta.dirname, "../fixtures/keys/test-cloud.pub.pem"),
        "--sleep-window",
        "22:30-6:45",
        "--snippet",
        s.snippet,
        "--user",
        USER.name,
        "--group",
        GROUP.name,
        "--state-dir",
        join(s.dir, "state"),
      ]);
      await tlsBroker.close();
      expect(r.stderr).toMatch(
        /provision: trying mqtts:\/\/127\.0\.0\.1:\d+ \(TLS handshake, subscribe to its command topic\)/,
      );
      expect(r.stderr).not.toMatch(/hearth provision:/);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { broker: string; devices: string[]; files: unknown[] };
      expect(out.broker).toMatch(/TLS handshake, connected, subscribed to hearth\/v1\/home-prov\/cmd\/\+/);
      expect(out.devices).toEqual(["water-1"]);
      expect(mode(s.config)).toEqual({ mode: "640", uid: 0, gid: GROUP.gid });
      expect(mode(join(s.etc, "client.key"))).toEqual({ mode: "600", uid: USER.uid, gid: GROUP.gid });
      expect(mode(join(s.etc, "ca.pem"))).toMatchObject({ mode: "644", uid: 0 });
      const text = readFileSync(s.config, "utf8");
      expect(text).toMatch(/sleep_window:\n\s+start: "?22:30"?\n\s+end: "?06:45"?/);
      expect(text).toContain("BEGIN PUBLIC KEY");
      expect(readFileSync(join(s.etc, "client.key"), "utf8")).toBe(readFileSync(s.certs.clientKey, "utf8"));
      // What it wrote is a valid config.
      const v = await hearth(["validate", s.config]);
      expect(v.code).toBe(0);
    },
  );

  it("re-run: shows the difference and changes nothing without --yes; applies it with --yes", async () => {
    const s = setup();
    const base = [
      "provision",
      "--config",
      s.config,
      "--user",
      USER.name,
      "--group",
      GROUP.name,
      "--no-broker-check",
    ];
    const first = await hearth([
      ...base,
      "--home",
      "home-rerun",
      "--timezone",
      "UTC",
      "--broker",
      broker.url,
    ]);
    expect(first.code).toBe(0);
    const before = readFileSync(s.config, "utf8");
    const again = await hearth([...base, "--snippet", s.snippet]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("is already provisioned; the changes:");
    expect(again.stderr).toMatch(/^\+ {3}- id: water-1$/m);
    expect(again.stderr).toMatch(/^- devices: \[\]$/m);
    expect(again.stderr).toMatch(/nothing changed \(run with --yes to apply\)/);
    expect(readFileSync(s.config, "utf8")).toBe(before);
    const yes = await hearth([...base, "--snippet", s.snippet, "--yes"]);
    expect(yes.code).toBe(0);
    expect(readFileSync(s.config, "utf8")).toMatch(/id: water-1/);
    // The values not given again came from the config already there.
    expect(readFileSync(s.config, "utf8")).toMatch(/id: home-rerun/);
  });

  it("refuses a group that does not exist, a password in --from, and a missing home id, with what to do", async () => {
    const s = setup();
    const noGroup = await hearth([
      "provision",
      "--config",
      s.config,
      "--home",
      "h",
      "--timezone",
      "UTC",
      "--broker",
      broker.url,
      "--user",
      USER.name,
      "--group",
      "no-such-group-x",
      "--no-broker-check",
    ]);
    expect(noGroup.code).toBe(1);
    expect(noGroup.stderr).toMatch(
      /group "no-such-group-x" does not exist: create it first \(deploy\/install\.sh does\), or pass --group/,
    );
    const from = join(s.dir, "values.yaml");
    writeFileSync(from, "home: h\npassword: hunter2\n");
    const secret = await hearth(["provision", "--config", s.config, "--from", from]);
    expect(secret.code).toBe(1);
    expect(secret.stderr).toMatch(/password: secrets come from a file \(password_file\) or standard input/);
    const { mkdirSync } = await import("node:fs");
    mkdirSync(s.etc, { recursive: true });
    writeFileSync(s.config, "home: [unclosed\n");
    const notYaml = await hearth(["provision", "--config", s.config, "--home", "h", "--yes"]);
    expect(notYaml.code).toBe(1);
    expect(notYaml.stderr).toMatch(/exists but is not YAML .*: fix or move it first/);
    rmSync(s.config);
    const missing = await hearth(["provision", "--config", s.config, "--timezone", "UTC"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no home/);
  });

  const haveScript = haveTool("script", ["--version"]);
  it.skipIf(!requireTool("script", haveScript, "util-linux script (apt install util-linux)"))(
    "on a terminal: asks for what is missing, then on a re-run shows the difference and asks before changing",
    async () => {
      const s = setup();
      const args = [
        "provision",
        "--config",
        s.config,
        "--user",
        USER.name,
        "--group",
        GROUP.name,
        "--mqtt-version",
        "3.1.1",
      ];
      const r = await onTerminal(args, `home-pty\nEurope/Berlin\n${broker.url}\n\n\n\n\n21:00-06:00\n`);
      expect(r.stdout).toContain("Home id (letters, digits, - and _): ");
      expect(r.stdout).toContain("Usual night, HH:MM-HH:MM [22:00-07:00]: ");
      expect(r.stdout).toMatch(/"home": "home-pty"/);
      expect(r.code).toBe(0);
      expect(readFileSync(s.config, "utf8")).toMatch(/start: "?21:00"?/);
      // Again, with a snippet: the questions now offer what is there, and the change is asked for.
      const again = await onTerminal([...args, "--snippet", s.snippet], "\n\n\n\n\n\n\n\ny\n");
      expect(again.stdout).toContain("Home id (letters, digits, - and _) [home-pty]: ");
      expect(again.stdout).toMatch(/\+ {3}- id: water-1/);
      expect(again.stdout).toContain("Apply these changes? [y/N]: ");
      expect(again.code).toBe(0);
      expect(readFileSync(s.config, "utf8")).toMatch(/id: water-1/);
    },
  );
});
