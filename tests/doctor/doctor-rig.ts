import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isoWithOffset } from "../../src/contract/timestamps.js";
import type { DoctorProbes, ServiceUser } from "../../src/doctor/probes.js";
import { realProbes } from "../../src/doctor/real-probes.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { makeCerts } from "../helpers/certs.js";

export const SERVICE: ServiceUser = { name: "hearth", uid: 4242, gids: [4242, 20] };
/** Real time: the certificates openssl makes are dated from it. */
export const NOW = Date.now();
/** The port as the config names it (the schema wants /dev/…); doctor's stat reads the test's file for it. */
export const PORT_DEV = "/dev/ttyUSB-hearth-doctor-test";

/**
 * A provisioned home on disk, as `hearth provision` leaves it: config 0640 root:hearth, the serial
 * port root:dialout 0660, the client key 0600 owned by the service user, certificates from openssl.
 * Files are real (doctor stats them); tests run as root, so owners and groups can be set freely.
 */
export function provisionedHome() {
  const dir = mkdtempSync(join(tmpdir(), "hearth-doctor-"));
  const certs = makeCerts(join(dir, "certs"), 400);
  chownSync(certs.clientKey, SERVICE.uid, SERVICE.uid);
  chmodSync(certs.clientKey, 0o600);
  const port = join(dir, "ttyUSB0");
  writeFileSync(port, "");
  chownSync(port, 0, 20);
  chmodSync(port, 0o660);
  const stateDir = join(dir, "state");
  mkdirSync(stateDir);
  const pub = readFileSync(join(import.meta.dirname, "../fixtures/keys/test-cloud.pub.pem"), "utf8");
  const config = join(dir, "home.yaml");
  const yaml = (extra = "", button = "    key: 231d39c1d7cc1ab1aee224cd096db932\n") =>
    `version: 1
home:
  id: home-doc
  timezone: Europe/Berlin
state_dir: ${stateDir}
cloud:
  brokers:
    - url: mqtts://127.0.0.1:8883
      tls:
        ca: ${certs.ca}
        cert: ${certs.clientCert}
        key: ${certs.clientKey}
  commands:
    public_key: |
${pub
  .trim()
  .split("\n")
  .map((l) => `      ${l}`)
  .join("\n")}
devices:
  - id: meter-1
    profile: eastron-sdm120
    port: ${PORT_DEV}
    unit_id: 1
  - id: button-1
    profile: shelly-blu-button1
    mac: "AA:BB:CC:DD:EE:FF"
${button}${extra}`;
  const write = (text: string) => {
    writeFileSync(config, text);
    chownSync(config, 0, SERVICE.uid);
    chmodSync(config, 0o640);
  };
  write(yaml());
  return { dir, certs, port, stateDir, config, yaml, write };
}

/** The running agent's status as doctor reads it: the meter answered 30 s ago, the button sent adverts. */
export function agentStatus(now = NOW) {
  return {
    devices: {
      "meter-1": {
        availability: "online",
        last: { power_w: { value: 42.5, unit: "W", at: isoWithOffset(now - 30_000, "Europe/Berlin") } },
      },
      "button-1": { availability: "online", last: {} },
    },
    drivers: { bthome: { "button-1": { accepted: 3, presses: 1 } } },
  };
}

/** The real file system, and fakes for everything else: a healthy machine unless a test says otherwise. */
export function fakeProbes(port: string, over: Partial<DoctorProbes> = {}): DoctorProbes {
  const real = realProbes();
  return {
    stat: (path) => real.stat(path === PORT_DEV ? port : path),
    readFile: real.readFile,
    disk: () => ({ freeBytes: 2 * 1024 ** 3, totalBytes: 8 * 1024 ** 3 }),
    user: (name) => (name === SERVICE.name ? SERVICE : undefined),
    systemd: () => ({ available: true, active: "active", enabled: "enabled" }),
    clock: () => ({ source: "timedatectl", synced: true, detail: "NTPSynchronized=yes, NTP=yes" }),
    ble: () => ({ present: true, powered: true }),
    broker: async () => ({
      ok: true,
      tls: true,
      detail: "mqtts://127.0.0.1:8883: TLS handshake, connected, subscribed to hearth/v1/home-doc/cmd/+",
    }),
    agent: async () => agentStatus(),
    now: () => NOW,
    ...over,
  };
}

export const catalogue = () => {
  const c = loadCatalogue();
  return { profiles: c.profiles, catalogueProblems: c.problems };
};
