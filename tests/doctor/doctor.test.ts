import { chmodSync, chownSync, rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatChecks } from "../../src/doctor/check.js";
import { runDoctor } from "../../src/doctor/doctor.js";
import type { DoctorProbes } from "../../src/doctor/probes.js";
import { agentStatus, catalogue, fakeProbes, NOW, PORT_DEV, provisionedHome } from "./doctor-rig.js";

function doctor(home: ReturnType<typeof provisionedHome>, over: Partial<DoctorProbes> = {}) {
  return runDoctor({ config: home.config, ...catalogue() }, fakeProbes(home.port, over));
}

const byId = (r: Awaited<ReturnType<typeof doctor>>, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${r.checks.map((x) => x.id).join(", ")}`);
  return c;
};

describe("hearth doctor", () => {
  it("passes a healthy, provisioned home: every check ✓", async () => {
    const home = provisionedHome();
    const r = await doctor(home);
    expect(r.checks.filter((c) => c.status === "fail")).toEqual([]);
    // Only the outbox (the agent never ran in this directory) and the first boot (not flashed) do not apply.
    expect(r.checks.filter((c) => c.status === "na").map((c) => c.id)).toEqual(["first-boot", "outbox"]);
    expect(r.ok).toBe(true);
    expect(byId(r, "port:meter-1").detail).toMatch(/rw-rw---- 0:20 \(0660\), usable by hearth/);
    expect(byId(r, `key:${home.certs.clientKey}`).detail).toMatch(/^rw------- 4242:/);
    expect(byId(r, "device:meter-1").detail).toBe("heard 30 s ago: power_w 42.5 W");
    expect(byId(r, `cert:${home.certs.ca}`).detail).toMatch(/^\d+ days left/);
  });

  it("a missing serial port: ✗ with where to look", async () => {
    const home = provisionedHome();
    rmSync(home.port);
    const r = await doctor(home);
    expect(r.ok).toBe(false);
    const c = byId(r, "port:meter-1");
    expect(c.status).toBe("fail");
    expect(c.detail).toBe(`${PORT_DEV} not found`);
    expect(c.fix).toMatch(/plug the RS-485 adapter in; list \/dev\/serial\/by-id\//);
  });

  it("a port the service user cannot read (judged from owner, group and mode, though doctor runs as root)", async () => {
    const home = provisionedHome();
    chownSync(home.port, 0, 0);
    chmodSync(home.port, 0o660);
    const r = await doctor(home);
    const c = byId(r, "port:meter-1");
    expect(c.status).toBe("fail");
    expect(c.detail).toMatch(/hearth cannot read and write it/);
    expect(c.fix).toMatch(/99-hearth-serial\.rules.*chgrp dialout PORT && chmod 0660 PORT/);
    // The owner's bits count for the owner even when the group's would allow more.
    chownSync(home.port, 4242, 20);
    chmodSync(home.port, 0o060);
    expect(byId(await doctor(home), "port:meter-1").status).toBe("fail");
  });

  it("a world-readable private key", async () => {
    const home = provisionedHome();
    chmodSync(home.certs.clientKey, 0o644);
    const c = byId(await doctor(home), `key:${home.certs.clientKey}`);
    expect(c.status).toBe("fail");
    expect(c.detail).toMatch(/world-readable$/);
    expect(c.fix).toBe(`chown hearth ${home.certs.clientKey} && chmod 0600 ${home.certs.clientKey}`);
  });

  it("an unsynchronised clock; no clock tool at all is – not ✗", async () => {
    const home = provisionedHome();
    let r = await doctor(home, {
      clock: () => ({ source: "chrony", synced: false, detail: "chrony leap status Not synchronised" }),
    });
    expect(byId(r, "clock")).toMatchObject({
      status: "fail",
      detail: "not synchronised (chrony leap status Not synchronised)",
    });
    expect(byId(r, "clock").fix).toMatch(/NTP server \(UDP 123\)/);
    r = await doctor(home, {
      clock: () => ({ source: "none", why: "neither timedatectl nor chronyc answered" }),
    });
    expect(byId(r, "clock")).toMatchObject({
      status: "na",
      detail: "neither timedatectl nor chronyc answered",
    });
    expect(r.checks.filter((c) => c.status === "fail")).toEqual([]);
  });

  it("a certificate that ends within 30 days", async () => {
    const home = provisionedHome();
    const r = await doctor(home, {
      now: () => NOW + 380 * 86_400_000,
      agent: async () => agentStatus(NOW + 380 * 86_400_000),
    });
    const c = byId(r, `cert:${home.certs.clientCert}`);
    expect(c.status).toBe("fail");
    expect(c.detail).toMatch(/^(19|20) days left \(CN=hearth-test-gateway/);
    expect(c.fix).toBe("ask the care service for a renewed one now");
  });

  it("an unreachable broker", async () => {
    const home = provisionedHome();
    const r = await doctor(home, {
      broker: async () => ({
        ok: false,
        tls: true,
        detail: "mqtts://127.0.0.1:8883: connect ECONNREFUSED 127.0.0.1:8883",
      }),
    });
    const c = byId(r, "broker:mqtts://127.0.0.1:8883");
    expect(c.status).toBe("fail");
    expect(c.detail).toMatch(/ECONNREFUSED/);
    expect(c.fix).toMatch(/DNS, firewall, port 8883/);
  });

  it("a device not heard; a meter last heard too long ago", async () => {
    const home = provisionedHome();
    const s = agentStatus(NOW - 3_600_000);
    s.drivers.bthome["button-1"].accepted = 0;
    const r = await doctor(home, { agent: async () => s });
    expect(byId(r, "device:button-1")).toMatchObject({
      status: "fail",
      detail: "not heard since the agent started",
    });
    expect(byId(r, "device:button-1").fix).toMatch(/press the button or wake the sensor/);
    expect(byId(r, "device:meter-1")).toMatchObject({
      status: "fail",
      detail: "last heard 1.0 h ago (power_w 42.5 W)",
    });
    expect(byId(r, "device:meter-1").fix).toMatch(/hearth probe PORT/);
    expect(byId(r, "ble:hci0").status).toBe("fail");
  });

  it("names the devices not judged on their silence (heard_every: on_change), and what else shows them dead", async () => {
    const home = provisionedHome();
    expect(byId(await doctor(home), "silence")).toMatchObject({
      status: "ok",
      detail: "every device is judged on its silence",
    });
    home.write(
      home.yaml(
        '  - { id: radar-1, profile: heiman-hs2fd-ef1, ieee_address: "0x00158d0001a2b3c4" }\n' +
          '  - { id: door-1, profile: aqara-mccgq11lm, ieee_address: "0x00158d0001a2b3c5", heard_every: on_change }\n',
      ),
    );
    const c = byId(await doctor(home), "silence");
    expect(c.status).toBe("ok");
    expect(c.detail).toMatch(/^not judged on silence \(no heartbeat\): door-1 \(aqara-mccgq11lm\); /);
    expect(c.detail).not.toMatch(/radar-1/);
    expect(c.detail).toMatch(/Zigbee2MQTT's availability \(turn it on\)/);
  });

  it("an insecure button, and commands accepted unsigned", async () => {
    const home = provisionedHome();
    home.write(
      home
        .yaml("", "    insecure: true\n")
        .replace(/ {2}commands:\n {4}public_key: \|\n( {6}.*\n)+/, "  commands:\n    insecure: true\n"),
    );
    const r = await doctor(home);
    expect(byId(r, "config").status).toBe("ok");
    expect(byId(r, "buttons")).toMatchObject({ status: "fail" });
    expect(byId(r, "buttons").detail).toMatch(/configured insecure \(no bind key\): button-1/);
    expect(byId(r, "buttons").fix).toMatch(/put it in `key:` and remove `insecure: true`/);
    expect(byId(r, "commands").detail).toMatch(/unsigned commands run/);
  });

  it("no systemd and no agent: the service is – with why; the devices are – too", async () => {
    const home = provisionedHome();
    const r = await doctor(home, {
      systemd: () => ({ available: false, why: "systemd is not running here" }),
      agent: async () => undefined,
    });
    expect(byId(r, "service")).toMatchObject({
      status: "na",
      detail: "systemd is not running here; and no agent answers its control socket",
    });
    expect(byId(r, "devices").status).toBe("na");
    const stopped = await doctor(home, {
      systemd: () => ({ available: true, active: "failed", enabled: "enabled" }),
    });
    expect(byId(stopped, "service")).toMatchObject({
      status: "fail",
      fix: "systemctl enable --now hearth; its log: journalctl -u hearth -n 50",
    });
  });

  it("an invalid config stops at the config check, with the line that is wrong", async () => {
    const home = provisionedHome();
    home.write(home.yaml().replace("timezone: Europe/Berlin", "timezone: 42"));
    const r = await doctor(home);
    expect(r.ok).toBe(false);
    expect(byId(r, "config").fix).toBe(
      `run \`hearth validate ${home.config}\` and correct each line it names`,
    );
    expect(byId(r, "rest").status).toBe("na");
  });

  it("a config the service user cannot read; a BLE adapter powered off; little disk", async () => {
    const home = provisionedHome();
    chownSync(home.config, 0, 0);
    const r = await doctor(home, {
      ble: () => ({ present: true, powered: false }),
      disk: () => ({ freeBytes: 50 * 1024 * 1024, totalBytes: 8 * 1024 ** 3 }),
    });
    expect(byId(r, "config-file").fix).toBe(`chown root:hearth ${home.config} && chmod 0640 ${home.config}`);
    expect(byId(r, "ble:hci0").fix).toMatch(/bluetoothctl power on/);
    expect(byId(r, "disk").status).toBe("fail");
  });

  it("formats one line per check, the fix under each ✗", async () => {
    const home = provisionedHome();
    rmSync(home.port);
    const text = formatChecks((await doctor(home)).checks);
    expect(text).toMatch(/^✓ config +/m);
    expect(text).toMatch(/^✗ port:meter-1 +.* not found\n +fix: plug the RS-485/m);
  });
});

describe("hearth doctor, the command", () => {
  it("prints JSON with --json and exits 1 on a ✗ (here: a config that does not exist)", async () => {
    const { hearth } = await import("../helpers/cli.js");
    const r = await hearth(["doctor", "--config", "/nonexistent/home.yaml", "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: { id: string; status: string; fix?: string }[];
    };
    expect(out.ok).toBe(false);
    expect(out.checks[0]).toMatchObject({ id: "config", status: "fail" });
    expect(out.checks[0]?.fix).toBe(
      "run `hearth validate /nonexistent/home.yaml` and correct each line it names",
    );
    expect(r.stderr).toMatch(/hearth doctor: \d+ checks? failed/);
  });
});
