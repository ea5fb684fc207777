import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rawPublicKey } from "../../src/core/ed25519-keys.js";

export interface Gateway {
  root: string;
  stateDir: string;
  optDir: string;
  configPath: string;
  releaseKey: KeyObject;
}

/** A throwaway gateway root: a config with a release key, release 1.0.0 unpacked and current. */
export function fakeGateway(): Gateway {
  const root = mkdtempSync(join(tmpdir(), "hearth-gw-"));
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const configPath = join(root, "etc/hearth/home.yaml");
  mkdirSync(join(root, "etc/hearth"), { recursive: true });
  writeFileSync(
    configPath,
    `version: 1\nhome: { id: h1 }\ncloud:\n  brokers: [{ url: "mqtt://127.0.0.1:1883" }]\n  release_public_key: ${rawPublicKey(publicKey)}\n`,
  );
  const optDir = join(root, "opt/hearth");
  writeRelease(join(optDir, "releases/1.0.0"), "1.0.0", "healthy");
  symlinkSync("releases/1.0.0", join(optDir, "current"));
  const stateDir = join(root, "var/lib/hearth");
  mkdirSync(stateDir, { recursive: true });
  return { root, stateDir, optDir, configPath, releaseKey: privateKey };
}

/** A tiny release: package.json and a stub CLI whose text says whether the fake health check passes. */
export function writeRelease(dir: string, version: string, health: "healthy" | "broken"): void {
  mkdirSync(join(dir, "dist/src/cli"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "hearth", version }));
  writeFileSync(join(dir, "dist/src/cli/main.js"), `// ${health}\n`);
}

/** hearth-<version>-test.tar.gz holding hearth-<version>/. */
export function releaseTarball(version: string, health: "healthy" | "broken"): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "hearth-rel-"));
  writeRelease(join(dir, `hearth-${version}`), version, health);
  const out = join(dir, `hearth-${version}-test.tar.gz`);
  execFileSync("tar", ["-czf", out, "-C", dir, `hearth-${version}`]);
  return readFileSync(out);
}

/** Every path under `dir` with its content hash or link target: to show nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[p] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[p] = "dir";
        walk(p);
      } else out[p] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}
