import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  artefact,
  fakeNode,
  INSTALL,
  owner,
  run,
  snapshot,
  throwawayRoot,
  UNINSTALL,
} from "./install-rig.js";

const asRoot = process.getuid?.() === 0;
if (!asRoot && process.env.CI === "true")
  throw new Error("tests/deploy need root under CI=true (chown, useradd --root)");
const idOf = (root: string, file: "passwd" | "group", name: string) =>
  readFileSync(join(root, "etc", file), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`))
    ?.split(":")[2];

describe.skipIf(!asRoot)("deploy/install.sh into a throwaway root", () => {
  const node22 = fakeNode("22.11.0");

  it("refuses a Node older than 20 with what to do, and installs nothing", async () => {
    const root = throwawayRoot();
    const r = await run(INSTALL, ["--root", root, "--node", fakeNode("18.19.0"), artefact("1.0.0")]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Node 18\.19\.0 at \/usr\/bin\/node is too old: Hearth needs Node 20 or later/);
    expect(r.out).toMatch(/docs\/deployment.md/);
    expect(existsSync(join(root, "opt/hearth"))).toBe(false);
  });

  it("installs the release root-owned, the user and groups, directories with their modes, rules and units; a second run changes nothing", async () => {
    const root = throwawayRoot();
    const file = artefact("1.0.0");
    const r = await run(INSTALL, ["--root", root, "--node", node22, file]);
    expect(r.code, r.out).toBe(0);
    expect(readlinkSync(join(root, "opt/hearth/current"))).toBe("releases/1.0.0");
    // Owned by root whatever the tarball said (uid 1234), not writable by the agent's user.
    expect(owner(join(root, "opt/hearth/releases/1.0.0/dist/src/cli/main.js"))).toBe("0:0 644");
    expect(owner(join(root, "opt/hearth/releases/1.0.0/node_modules"))).toBe("0:0 755");
    const uid = idOf(root, "passwd", "hearth");
    const gid = idOf(root, "group", "hearth");
    expect(uid).toBeDefined();
    expect(idOf(root, "group", "bluetooth")).toBeDefined();
    expect(readFileSync(join(root, "etc/group"), "utf8")).toMatch(/^dialout:x:20:hearth$/m);
    expect(owner(join(root, "etc/hearth"))).toBe(`0:${gid} 750`);
    expect(owner(join(root, "var/lib/hearth"))).toBe(`${uid}:${gid} 750`);
    expect(owner(join(root, "var/lib/hearth/privileged"))).toBe("0:0 755");
    expect(owner(join(root, "var/lib/hearth/privileged/requests"))).toBe(`${uid}:${gid} 750`);
    expect(owner(join(root, "var/lib/hearth/privileged/results"))).toBe(`0:${gid} 770`);
    expect(owner(join(root, "etc/hearth/home.example.yaml"))).toBe(`0:${gid} 640`);
    expect(existsSync(join(root, "etc/hearth/home.yaml"))).toBe(false);
    for (const u of [
      "hearth.service",
      "hearth-firstboot.service",
      "hearth-privileged.path",
      "hearth-privileged.service",
    ])
      expect(owner(join(root, "etc/systemd/system", u))).toBe("0:0 644");
    expect(readFileSync(join(root, "etc/udev/rules.d/99-hearth-serial.rules"), "utf8")).toMatch(
      /hearth-rs485/,
    );
    expect(owner(join(root, "usr/local/bin/hearth"))).toBe("0:0 755");
    // Enabled (systemctl --root): links to the units as the gateway will see them.
    const wants = join(root, "etc/systemd/system/multi-user.target.wants");
    expect(readlinkSync(join(wants, "hearth.service"))).toBe("/etc/systemd/system/hearth.service");
    expect(readlinkSync(join(wants, "hearth-privileged.path"))).toBe(
      "/etc/systemd/system/hearth-privileged.path",
    );
    expect(readlinkSync(join(wants, "hearth-firstboot.service"))).toBe(
      "/etc/systemd/system/hearth-firstboot.service",
    );
    // Without outputs or SMS: no audio/GPIO drop-in, no polkit rule.
    expect(existsSync(join(root, "etc/systemd/system/hearth.service.d"))).toBe(false);
    expect(existsSync(join(root, "etc/polkit-1"))).toBe(false);

    const before = snapshot(root);
    const again = await run(INSTALL, ["--root", root, "--node", node22, file]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/nothing changed/);
    expect(snapshot(root)).toEqual(before);
  });

  it("a newer release switches current, keeps the one before for a rollback, removes older ones and the old checkout install", async () => {
    const root = throwawayRoot();
    mkdirSync(join(root, "opt/hearth/src"), { recursive: true });
    writeFileSync(join(root, "opt/hearth/package.json"), "{}");
    expect((await run(INSTALL, ["--root", root, "--node", node22, artefact("1.0.0")])).code).toBe(0);
    expect(existsSync(join(root, "opt/hearth/src"))).toBe(false);
    expect(existsSync(join(root, "opt/hearth/package.json"))).toBe(false);
    expect((await run(INSTALL, ["--root", root, "--node", node22, artefact("1.1.0")])).code).toBe(0);
    expect(readlinkSync(join(root, "opt/hearth/current"))).toBe("releases/1.1.0");
    expect(existsSync(join(root, "opt/hearth/releases/1.0.0"))).toBe(true);
    const r = await run(INSTALL, ["--root", root, "--node", node22, artefact("1.2.0")]);
    expect(r.out).toMatch(/removed stale release 1\.0\.0/);
    expect(existsSync(join(root, "opt/hearth/releases/1.0.0"))).toBe(false);
    expect(existsSync(join(root, "opt/hearth/releases/1.1.0"))).toBe(true);
  });

  it("refuses a checkout (src/ inside) and a tarball that is not a release", async () => {
    const root = throwawayRoot();
    const r = await run(INSTALL, ["--root", root, "--node", node22, artefact("1.0.0", { checkout: true })]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/holds src\/: a checkout, not a release/);
    expect(existsSync(join(root, "opt/hearth/current"))).toBe(false);
  });

  it("--with-outputs and --with-sms add the audio/GPIO drop-in and the ModemManager polkit rule", async () => {
    const root = throwawayRoot();
    const r = await run(INSTALL, [
      "--root",
      root,
      "--node",
      node22,
      "--with-outputs",
      "--with-sms",
      artefact("1.0.0"),
    ]);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(join(root, "etc/systemd/system/hearth.service.d/outputs.conf"), "utf8")).toMatch(
      /SupplementaryGroups=audio gpio/,
    );
    expect(readFileSync(join(root, "etc/polkit-1/rules.d/50-hearth-modemmanager.rules"), "utf8")).toMatch(
      /org\.freedesktop\.ModemManager1\.Messaging/,
    );
  });

  it("uninstall keeps the config and the outbox; --purge removes them and the user", async () => {
    const root = throwawayRoot();
    expect((await run(INSTALL, ["--root", root, "--node", node22, artefact("1.0.0")])).code).toBe(0);
    writeFileSync(join(root, "var/lib/hearth/outbox.db"), "messages");
    writeFileSync(join(root, "etc/hearth/home.yaml"), "version: 1\n");
    const u = await run(UNINSTALL, ["--root", root]);
    expect(u.code, u.out).toBe(0);
    expect(existsSync(join(root, "opt/hearth"))).toBe(false);
    expect(existsSync(join(root, "etc/systemd/system/hearth.service"))).toBe(false);
    expect(existsSync(join(root, "etc/systemd/system/multi-user.target.wants"))).toBe(false);
    expect(readFileSync(join(root, "var/lib/hearth/outbox.db"), "utf8")).toBe("messages");
    expect(existsSync(join(root, "etc/hearth/home.yaml"))).toBe(true);
    const p = await run(UNINSTALL, ["--root", root, "--purge"]);
    expect(p.code, p.out).toBe(0);
    expect(existsSync(join(root, "var/lib/hearth"))).toBe(false);
    expect(existsSync(join(root, "etc/hearth"))).toBe(false);
    expect(idOf(root, "passwd", "hearth")).toBeUndefined();
  });
});
