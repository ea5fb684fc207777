/**
 * `npm run test:install`, on demand (not CI: it downloads Debian): a Debian bookworm root made with
 * debootstrap, Debian's own nodejs (18) in it, then the real installer with a real release artefact
 * (`npm run release`) run inside it with chroot. Skipped unless HEARTH_TEST_INSTALL=1.
 * HEARTH_RELEASE_ARTEFACT reuses an artefact already built. The root is kept in HEARTH_DEBOOTSTRAP_DIR (default /var/tmp/hearth-bookworm) for the next run.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./install-rig.js";

const wanted = process.env.HEARTH_TEST_INSTALL === "1";
const base = process.env.HEARTH_DEBOOTSTRAP_DIR ?? "/var/tmp/hearth-bookworm";
const MIRROR = process.env.HEARTH_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";

/**
 * A command to its end, asynchronously: minutes of debootstrap or a release build must not block the
 * test worker (vitest's RPC to it times out). stdout and stderr apart, both kept.
 */
function sh(
  cmd: string,
  args: string[],
  timeout = 20 * 60_000,
): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out: `${stdout}${stderr}`, stdout });
    });
  });
}
const inRoot = (root: string, ...args: string[]) => sh("chroot", [root, ...args]);

describe.skipIf(!wanted)("install.sh inside a debootstrapped Debian bookworm (on demand)", () => {
  it(
    "refuses bookworm's Node 18, then installs a real release that runs",
    async () => {
      const seed = join(base, "seed");
      if (!existsSync(join(seed, "etc/debian_version"))) {
        rmSync(seed, { recursive: true, force: true });
        mkdirSync(base, { recursive: true });
        const d = await sh("debootstrap", [
          "--variant=minbase",
          "--include=nodejs,systemd,passwd",
          "bookworm",
          seed,
          MIRROR,
        ]);
        expect(d.code, d.out.slice(-3000)).toBe(0);
      }
      // A fresh copy per run, so the installer always meets a clean system.
      const root = join(base, "run");
      rmSync(root, { recursive: true, force: true });
      expect((await sh("cp", ["-a", seed, root])).code).toBe(0);
      expect((await inRoot(root, "/usr/bin/node", "-p", "process.versions.node")).out).toMatch(/^18\./);

      // HEARTH_RELEASE_ARTEFACT: one `npm run release` made already (the build takes 5-10 min here).
      let artefact = process.env.HEARTH_RELEASE_ARTEFACT ?? "";
      if (artefact === "") {
        const rel = await sh("bash", [join(ROOT, "deploy/release.sh"), join(base, "release")], 30 * 60_000);
        expect(rel.code, rel.out.slice(-3000)).toBe(0);
        // The artefact's path is release.sh's only line on stdout; the build's output is on stderr.
        artefact = rel.stdout.trim().split("\n").at(-1) ?? "";
      }
      expect(artefact).toMatch(/hearth-.*\.tar\.gz$/);
      copyFileSync(artefact, join(root, "tmp/release.tar.gz"));
      copyFileSync(join(ROOT, "deploy/install.sh"), join(root, "tmp/install.sh"));

      const refused = await inRoot(root, "bash", "/tmp/install.sh", "/tmp/release.tar.gz");
      expect(refused.code).toBe(1);
      expect(refused.out).toMatch(/Node 18\.[0-9.]+ at \/usr\/bin\/node is too old/);
      expect(existsSync(join(root, "opt/hearth"))).toBe(false);

      // Stands in for NodeSource's nodejs package: this machine's Node 20+ binary (same glibc).
      copyFileSync(process.execPath, join(root, "usr/bin/node"));
      const ok = await inRoot(root, "bash", "/tmp/install.sh", "/tmp/release.tar.gz");
      expect(ok.code, ok.out).toBe(0);
      expect(readlinkSync(join(root, "opt/hearth/current"))).toMatch(/^releases\//);
      expect(readdirSync(join(root, "opt/hearth/current/node_modules"))).toContain("better-sqlite3");
      expect(existsSync(join(root, "opt/hearth/current/node_modules/typescript"))).toBe(false);
      expect(existsSync(join(root, "opt/hearth/current/node_modules/@biomejs"))).toBe(false);
      expect((await inRoot(root, "id", "hearth")).out).toMatch(
        /groups=.*dialout.*bluetooth|groups=.*bluetooth.*dialout/,
      );
      // The installed command runs (validate: the config schema and the device profiles), and the
      // native module built from source loads in the bookworm root.
      const v = await inRoot(root, "/usr/local/bin/hearth", "validate", "/etc/hearth/home.example.yaml");
      expect(v.code, v.out).toBe(0);
      const sqlite = await inRoot(
        root,
        "/usr/bin/node",
        "-e",
        "require('/opt/hearth/current/node_modules/better-sqlite3')(':memory:').exec('select 1')",
      );
      expect(sqlite.code, sqlite.out).toBe(0);
      // The root helper finds the boundary as the installer laid it out, and answers nothing pending.
      const priv = await inRoot(root, "/usr/local/bin/hearth", "privileged", "run");
      expect(priv.code, priv.out).toBe(0);
      expect(priv.out).toMatch(/"results": \[\]/);
      const boot = await inRoot(root, "/usr/local/bin/hearth", "firstboot");
      expect(boot.code, boot.out).toBe(0);
      expect(boot.out).toMatch(/"provisioned": false/);
      const again = await inRoot(root, "bash", "/tmp/install.sh", "/tmp/release.tar.gz");
      expect(again.out).toMatch(/nothing changed/);
      const un = await inRoot(root, "bash", "/opt/hearth/current/deploy/uninstall.sh");
      expect(un.code, un.out).toBe(0);
      expect(existsSync(join(root, "var/lib/hearth"))).toBe(true);
    },
    60 * 60_000,
  );
});
