import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeCsr, pendingPaths } from "../../src/certs/csr.js";
import { certificateHealth } from "../../src/certs/expiry.js";
import { installCertificate } from "../../src/certs/install.js";
import { parseConfig } from "../../src/config/load.js";
import { silentLogger } from "../../src/core/log.js";
import { privilegedActions } from "../../src/privileged/actions/index.js";
import { runPendingRequests } from "../../src/privileged/index.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { checkBroker } from "../../src/uplink/check-connect.js";
import { mosquittoAvailable, startMosquitto } from "../helpers/brokers.js";
import { makeCerts } from "../helpers/certs.js";
import { haveTool, requireTool } from "../helpers/tools.js";
import { snapshot } from "../update/helpers.js";

const ready =
  mosquittoAvailable() &&
  requireTool("openssl", haveTool("openssl", ["version"]), "apt-get install -y openssl");

/** Signs `csr` with a CA as a client certificate valid `days`; returns the PEM. */
function sign(csr: string, ca: { ca: string; caKey: string }, days: number, dir: string): string {
  writeFileSync(join(dir, "in.csr"), csr);
  writeFileSync(
    join(dir, "client.ext"),
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
  );
  execFileSync(
    "openssl",
    [
      "x509",
      "-req",
      "-in",
      "in.csr",
      "-CA",
      ca.ca,
      "-CAkey",
      ca.caKey,
      "-CAcreateserial",
      "-out",
      "out.pem",
      "-days",
      String(days),
      "-extfile",
      "client.ext",
    ],
    { cwd: dir, stdio: "ignore" },
  );
  return readFileSync(join(dir, "out.pem"), "utf8");
}

describe.skipIf(!ready)("certificate rotation against Mosquitto with mutual TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-rotate-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("cert_csr keeps the key; cert_install tests the new pair first, refuses one that fails, installs one that works", async () => {
    const certs = makeCerts(join(dir, "pki"), 2);
    const rogue = makeCerts(join(dir, "rogue"), 2);
    const b = await startMosquitto({
      tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireClientCert: true },
    });
    // The gateway's files, at absolute paths in a throwaway tree (the helper runs with root "/").
    const etc = join(dir, "etc");
    const stateDir = join(dir, "state");
    mkdirSync(etc, { recursive: true });
    mkdirSync(stateDir, { recursive: true });
    for (const [from, to] of [
      [certs.ca, "ca.pem"],
      [certs.clientCert, "client.pem"],
      [certs.clientKey, "client.key"],
    ] as const)
      copyFileSync(from, join(etc, to));
    const configPath = join(etc, "home.yaml");
    const text = `version: 1\nhome: { id: h1 }\ncloud:\n  brokers:\n    - url: ${b.url}\n      tls: { ca: ${etc}/ca.pem, cert: ${etc}/client.pem, key: ${etc}/client.key }\n`;
    writeFileSync(configPath, text, { mode: 0o640 });
    const parsed = parseConfig(text, configPath, loadCatalogue().profiles);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const config = parsed.value;
    const actions = privilegedActions({ stateDir, configPath, optDir: join(dir, "opt") });
    const helper = setInterval(() => {
      void runPendingRequests(stateDir, actions, { root: "/", log: silentLogger(), now: () => new Date() });
    }, 50);
    const oldCert = readFileSync(join(etc, "client.pem"), "utf8");
    try {
      expect(certificateHealth(config, Date.now())?.days_left).toBe(1);
      const { csr } = await makeCsr(stateDir, "/CN=hearth-h1");
      expect(csr).toMatch(/BEGIN CERTIFICATE REQUEST/);
      expect(csr).not.toMatch(/PRIVATE KEY/);
      const pendingKey = pendingPaths(stateDir).key;
      expect(statSync(pendingKey).mode & 0o077).toBe(0);

      // Signed by a CA the broker does not trust: the trial connection fails, nothing changes.
      const before = snapshot(etc);
      await expect(
        installCertificate({ stateDir, config, certificate: sign(csr, rogue, 30, dir), log: silentLogger() }),
      ).rejects.toThrow(/connection with the new certificate failed .*the old one stays in use/);
      expect(snapshot(etc)).toEqual(before);

      // A certificate for another key: refused before any connection.
      await expect(
        installCertificate({
          stateDir,
          config,
          certificate: readFileSync(certs.clientCert, "utf8"),
          log: silentLogger(),
        }),
      ).rejects.toThrow(/not for the key of the last cert_csr/);

      // Signed by the broker's CA for 30 days: tested, then installed by the root helper.
      const good = sign(csr, certs, 30, dir);
      const done = await installCertificate({ stateDir, config, certificate: good, log: silentLogger() });
      expect(done).toMatchObject({ installed: true, days_left: 29 });
      expect(readFileSync(join(etc, "client.pem"), "utf8")).toBe(good);
      expect(readFileSync(join(etc, "client.pem.prev"), "utf8")).toBe(oldCert);
      expect(
        new X509Certificate(good).checkPrivateKey(
          (await import("node:crypto")).createPrivateKey(readFileSync(join(etc, "client.key"))),
        ),
      ).toBe(true);
      expect(statSync(join(etc, "client.key")).mode & 0o777).toBe(
        statSync(join(etc, "client.key.prev")).mode & 0o777,
      );
      expect(certificateHealth(config, Date.now())?.days_left).toBe(29);
      // The agent's next connection uses the installed pair.
      const broker = config.cloud.brokers[0];
      if (!broker) throw new Error("no broker");
      expect((await checkBroker(broker, "h1")).ok).toBe(true);
    } finally {
      clearInterval(helper);
      await b.close();
    }
  }, 60_000);
});
