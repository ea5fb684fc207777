import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { errorMessage } from "../core/errors.js";
import { configSecrets, redactedConfig } from "../remote-config/redact.js";
import { commandOutput, outboxStatistics, versions } from "./collect.js";

const run = promisify(execFile);

export interface BundleOptions {
  configPath: string;
  /** The config's state_dir (or /var/lib/hearth when the config cannot be read). */
  stateDir: string;
  out: string;
  withBodies: boolean;
  sinceS: number;
  version: string;
  unit?: string;
  /** `hearth status --json` and `hearth doctor --json`, as JSON values (or what failed). */
  status: () => Promise<unknown>;
  doctor: () => Promise<unknown>;
  /** Injected in tests: journalctl and systemctl's output. */
  command?: (cmd: string, args: string[]) => Promise<string>;
}

const PEM_BODY = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/g;

/**
 * Every secret the config holds or points at: passwords, bind keys, URL user info, and each line of
 * the private key files it names. What no file of the bundle may contain.
 */
export function bundleSecrets(configText: string): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(configText);
  } catch {
    return [];
  }
  const out = configSecrets(doc);
  const keyFiles: string[] = [];
  const brokers =
    (doc as { cloud?: { brokers?: { tls?: { key?: unknown } }[] } } | null)?.cloud?.brokers ?? [];
  for (const b of brokers) if (typeof b.tls?.key === "string") keyFiles.push(b.tls.key);
  for (const f of keyFiles) {
    let pem = "";
    try {
      pem = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    for (const m of pem.matchAll(PEM_BODY))
      out.push(...(m[1] ?? "").split(/\s+/).filter((line) => line.length >= 16));
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

function masked(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.replaceAll(s, "<redacted>");
  return out;
}

async function json(f: () => Promise<unknown>): Promise<string> {
  try {
    return `${JSON.stringify(await f(), null, 2)}\n`;
  } catch (e) {
    return `${JSON.stringify({ error: errorMessage(e) }, null, 2)}\n`;
  }
}

/**
 * Writes the support bundle: one tar.gz of text files. Secrets are kept out twice: the config is
 * redacted, and every file is then searched for each secret the config holds (a password in a log
 * line, a doctor message quoting a URL) and masked before it is written.
 */
export async function writeBundle(
  o: BundleOptions,
): Promise<{ out: string; files: string[]; notes: string[] }> {
  const cmd = o.command ?? ((c: string, a: string[]) => commandOutput(c, a));
  let configText = "";
  const notes: string[] = [];
  try {
    configText = readFileSync(o.configPath, "utf8");
  } catch (e) {
    notes.push(`config ${o.configPath} not readable: ${errorMessage(e)}`);
  }
  const secrets = bundleSecrets(configText);
  const unit = o.unit ?? "hearth";
  const outbox = outboxStatistics(o.stateDir, o.withBodies);
  const files: Record<string, string> = {
    "versions.json": `${JSON.stringify(versions(o.version), null, 2)}\n`,
    "config.yaml": configText
      ? `# sha256 ${redactedConfig(configText).hash}\n${redactedConfig(configText).config}`
      : "(none)\n",
    "status.json": await json(o.status),
    "doctor.json": await json(o.doctor),
    "outbox.json": `${JSON.stringify(outbox.stats, null, 2)}\n`,
    "journal.txt": await cmd("journalctl", [
      "-u",
      unit,
      "--since",
      `${o.sinceS} seconds ago`,
      "--no-pager",
      "-o",
      "short-iso",
    ]),
    "unit.txt": await cmd("systemctl", ["show", unit, "--no-pager"]),
  };
  if (outbox.bodies !== undefined) files["pending-messages.jsonl"] = outbox.bodies;
  for (const [name, text] of Object.entries(files))
    if (/^\((journalctl|systemctl) is not installed/.test(text)) notes.push(`${name}: ${text.trim()}`);
  files["bundle.json"] =
    `${JSON.stringify({ made: new Date().toISOString(), with_bodies: o.withBodies, since_s: o.sinceS, notes }, null, 2)}\n`;
  const work = mkdtempSync(join(tmpdir(), "hearth-bundle-"));
  const top = "hearth-support";
  try {
    mkdirSync(join(work, top), { mode: 0o700 });
    for (const [name, text] of Object.entries(files))
      writeFileSync(join(work, top, name), masked(text, secrets), { mode: 0o600 });
    await run("tar", ["-czf", o.out, "-C", work, top], { timeout: 120_000 });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { out: o.out, files: Object.keys(files), notes };
}
