import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { topicFor } from "../../src/contract/topics.js";
import { mosquittoAvailable, startMosquitto, subscribe } from "../helpers/brokers.js";
import { makeCerts } from "../helpers/certs.js";
import { captureLog } from "../helpers/log-capture.js";
import { haveTool, requireTool } from "../helpers/tools.js";
import { waitFor } from "../helpers/wait.js";
import { alertBody } from "../outbox/fixtures.js";
import { broker, makeRig } from "./rig.js";

const ready =
  mosquittoAvailable() &&
  requireTool("openssl", haveTool("openssl", ["version"]), "apt-get install -y openssl");

describe.skipIf(!ready)("Uplink over mutual TLS to Mosquitto", () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-tls-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("connects with a client certificate made by openssl; a client without one is refused", async () => {
    const certs = makeCerts(dir);
    const b = await startMosquitto({
      tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, requireClientCert: true },
    });
    const withCert = {
      ca: certs.ca,
      cert: certs.clientCert,
      key: certs.clientKey,
      reject_unauthorized: true,
    };
    const rig = makeRig({ brokers: [broker(b.url, "5", { tls: withCert })] });
    const bareLog = captureLog();
    const bare = makeRig({
      brokers: [
        broker(b.url, "5", {
          username: "gateway",
          password: "s3cret-pass",
          tls: { ca: certs.ca, reject_unauthorized: true },
        }),
      ],
      log: bareLog.log,
    });
    const sub = await subscribe(b.url, topicFor(rig.home, "alert"), {
      protocolVersion: 5,
      ca: readFileSync(certs.ca),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
      clientId: "tls-cloud",
    });
    try {
      const alert = rig.outbox.putAlert(alertBody("alert-tls-1"));
      rig.uplink.start();
      await sub.waitFor((m) => m.some((x) => x.envelope.id === alert.id));
      expect(rig.uplink.state()).toMatchObject({ connected: true, broker: b.url });
      expect(sub.invalid).toEqual([]);

      bare.uplink.start();
      await waitFor("refused attempts", () => bare.uplink.state().attempts >= 2);
      expect(bare.uplink.state().connected).toBe(false);
      expect(bare.uplink.state().lastError).toBeDefined();
      // Failures are logged with the broker URL, never with the password or key material.
      const failures = bareLog.lines.filter((l) => l.level === 40 && l.broker === b.url);
      expect(failures.length).toBeGreaterThanOrEqual(2);
      expect(bareLog.text()).not.toContain("s3cret-pass");
      expect(bareLog.text()).not.toContain("PRIVATE KEY");
    } finally {
      await sub.close();
      await rig.close();
      await bare.close();
      await b.close();
    }
  });
});
