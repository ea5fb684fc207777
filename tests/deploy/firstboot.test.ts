import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runDoctor } from "../../src/doctor/doctor.js";
import { readFirstbootStatus } from "../../src/provision/firstboot.js";
import { catalogue, fakeProbes } from "../doctor/doctor-rig.js";
import { makeCerts } from "../helpers/certs.js";
import { hearthSync } from "../helpers/cli.js";

/** A throwaway root with a boot partition at /boot/firmware holding the installer's files. */
function flashed(provision: string) {
  const root = mkdtempSync(join(tmpdir(), "hearth-firstboot-"));
  const boot = join(root, "boot/firmware");
  mkdirSync(join(boot, "hearth"), { recursive: true });
  const certs = makeCerts(join(root, "made"), 400);
  copyFileSync(certs.ca, join(boot, "hearth/ca.pem"));
  copyFileSync(certs.clientCert, join(boot, "hearth/client.pem"));
  copyFileSync(certs.clientKey, join(boot, "hearth/client.key"));
  writeFileSync(join(boot, "hearth-provision.yaml"), provision);
  return { root, boot };
}

const GOOD = `home: home-0042
timezone: Europe/Berlin
broker: mqtts://mqtt.care.example:8883
ca: hearth/ca.pem
cert: hearth/client.pem
key: hearth/client.key
`;
// Users every Debian system has: the test runs as root on the host's /etc/passwd.
const firstboot = (root: string) =>
  hearthSync(["firstboot", "--root", root, "--user", "daemon", "--group", "users"]);

describe("hearth firstboot (hearth-firstboot.service)", () => {
  it("provisions once from /boot/firmware/hearth-provision.yaml, removes the key and the file from the boot partition, records it", () => {
    const { root, boot } = flashed(GOOD);
    const r = firstboot(root);
    expect(r.code, r.stderr).toBe(0);
    const config = readFileSync(join(root, "etc/hearth/home.yaml"), "utf8");
    expect(config).toMatch(/id: home-0042/);
    expect((statSync(join(root, "etc/hearth/home.yaml")).mode & 0o777).toString(8)).toBe("640");
    expect(existsSync(join(root, "etc/hearth/client.key"))).toBe(true);
    // The secret and the trigger are gone from the boot partition; the public certificates stay.
    expect(existsSync(join(boot, "hearth/client.key"))).toBe(false);
    expect(existsSync(join(boot, "hearth-provision.yaml"))).toBe(false);
    expect(existsSync(join(boot, "hearth/ca.pem"))).toBe(true);
    const status = readFirstbootStatus(readFileSync(join(root, "var/lib/hearth/firstboot.json"), "utf8"));
    expect(status?.ok).toBe(true);
    expect(r.stderr).toMatch(/First boot: provisioned from \/boot\/firmware\/hearth-provision.yaml/);
    // Once: the next boot finds nothing to do and changes nothing.
    const again = firstboot(root);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ ok: true, provisioned: false });
    expect(readFileSync(join(root, "etc/hearth/home.yaml"), "utf8")).toBe(config);
  }, 60_000);

  it("a broken file leaves the gateway unprovisioned, the reason in the journal (stderr) and in hearth doctor", async () => {
    const { root, boot } = flashed(`${GOOD}sleep_window: 25:00-07:00\n`);
    const r = firstboot(root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not provisioned: \/boot\/firmware\/hearth-provision.yaml: .*25:00/);
    expect(existsSync(join(root, "etc/hearth/home.yaml"))).toBe(false);
    // Nothing removed: someone corrects the file, and the next boot tries again.
    expect(existsSync(join(boot, "hearth/client.key"))).toBe(true);
    expect(existsSync(join(boot, "hearth-provision.yaml"))).toBe(true);
    const d = await runDoctor(
      { config: join(root, "etc/hearth/home.yaml"), stateDir: join(root, "var/lib/hearth"), ...catalogue() },
      fakeProbes(join(root, "none")),
    );
    const c = d.checks.find((x) => x.id === "first-boot");
    expect(c?.status).toBe("fail");
    expect(c?.detail).toMatch(/25:00/);
    expect(c?.fix).toMatch(/correct \/boot\/firmware\/hearth-provision.yaml/);
    expect(d.ok).toBe(false);
  }, 60_000);

  it("the older /boot/hearth-provision.yaml is read too; an unknown key is refused with its name", () => {
    const root = mkdtempSync(join(tmpdir(), "hearth-firstboot-"));
    mkdirSync(join(root, "boot"), { recursive: true });
    writeFileSync(join(root, "boot/hearth-provision.yaml"), "home: h1\nwifi_password: x\n");
    const r = firstboot(root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/boot\/hearth-provision.yaml: unknown key "wifi_password"/);
  });
});
