import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/core/paths.js";

export const ROOT = packageRoot();
export const INSTALL = join(ROOT, "deploy/install.sh");
export const UNINSTALL = join(ROOT, "deploy/uninstall.sh");

/** A throwaway root with what useradd --root needs: passwd, group, shadow, gshadow (Debian's dialout). */
export function throwawayRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "hearth-root-"));
  const etc = join(root, "etc");
  mkdirSync(etc);
  writeFileSync(join(etc, "passwd"), "root:x:0:0:root:/root:/bin/bash\n");
  writeFileSync(join(etc, "group"), "root:x:0:\ndialout:x:20:\n");
  writeFileSync(join(etc, "shadow"), "root:*:19000:0:99999:7:::\n", { mode: 0o640 });
  writeFileSync(join(etc, "gshadow"), "root:*::\ndialout:*::\n", { mode: 0o640 });
  return root;
}

/** A stand-in for /usr/bin/node that says it is `version`. */
export function fakeNode(version: string): string {
  const f = join(mkdtempSync(join(tmpdir(), "hearth-node-")), "node");
  writeFileSync(f, `#!/bin/sh\necho ${version}\n`);
  chmodSync(f, 0o755);
  return f;
}

/**
 * A release artefact shaped as `npm run release` makes it (hearth-<v>/ with package.json, dist/,
 * node_modules/, deploy/ from this checkout), its files owned by uid 1234 as a careless build would
 * leave them; `checkout` adds a src/ directory.
 */
export function artefact(version: string, o: { checkout?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "hearth-artefact-"));
  const top = join(dir, `hearth-${version}`);
  mkdirSync(join(top, "dist/src/cli"), { recursive: true });
  mkdirSync(join(top, "node_modules/pino"), { recursive: true });
  writeFileSync(join(top, "package.json"), JSON.stringify({ name: "hearth", version }));
  writeFileSync(join(top, "dist/src/cli/main.js"), `console.log("hearth ${version}");\n`);
  writeFileSync(join(top, "node_modules/pino/index.js"), "module.exports = {};\n");
  cpSync(join(ROOT, "deploy"), join(top, "deploy"), { recursive: true });
  if (o.checkout) mkdirSync(join(top, "src"));
  const file = join(dir, `hearth-${version}-amd64.tar.gz`);
  execFileSync("tar", [
    "--owner=1234",
    "--group=1234",
    "--numeric-owner",
    "-C",
    dir,
    "-czf",
    file,
    `hearth-${version}`,
  ]);
  return file;
}

/** A command to its end without blocking the test worker; stdout and stderr together. */
export function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Every path under `dir` with its mode, owner, size, mtime and link target: what "changed nothing" compares. */
export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = lstatSync(p);
      const link = s.isSymbolicLink() ? ` -> ${readlinkSync(p)}` : "";
      out.push(
        `${p.slice(dir.length)} ${s.mode.toString(8)} ${s.uid}:${s.gid} ${s.size} ${s.mtimeMs}${link}`,
      );
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** uid:gid and mode (octal, permission bits) of a path. */
export function owner(p: string): string {
  const s = lstatSync(p);
  return `${s.uid}:${s.gid} ${(s.mode & 0o7777).toString(8)}`;
}
