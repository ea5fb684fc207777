import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../config/load.js";
import { errorMessage, isHearthError } from "../core/errors.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { configText, planConfig, snippetDevices, valuesFromConfig } from "../provision/build.js";
import { changedLines, lineDiff } from "../provision/diff.js";
import { installFiles, resolveOwners } from "../provision/install.js";
import { Prompter } from "../provision/prompt.js";
import { type ProvisionValues, QUESTIONS, VALUE_KEYS, valuesFromText } from "../provision/values.js";
import { checkBroker } from "../uplink/index.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson, printProblems } from "./io.js";

export interface ProvisionFlags extends ProvisionValues {
  config: string;
  dir?: string;
  from?: string;
  snippet?: string[];
  user: string;
  group: string;
  yes?: boolean;
  brokerCheck: boolean;
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    throw new CliExit(EXIT.failed, `hearth provision: ${what} ${file}: ${errorMessage(e)}`);
  }
}

/**
 * `hearth provision`: the home's config and its certificates, key and the cloud's public key, from
 * flags, `--from FILE` or (on a terminal) questions; device snippets merged in; validated; the broker
 * tried with a session of its own; then written, the config 0640 root:<group>, the key 0600 owned by
 * the service user. On a provisioned gateway it shows the difference and asks first (or `--yes`).
 */
export async function provisionCommand(flags: ProvisionFlags): Promise<void> {
  try {
    await provision(flags);
  } catch (e) {
    if (e instanceof CliExit) throw e;
    if (isHearthError(e)) throw new CliExit(EXIT.failed, `hearth provision: ${e.message}`);
    throw e;
  }
}

async function provision(flags: ProvisionFlags): Promise<void> {
  const tty = process.stdin.isTTY === true && !flags.yes;
  const prompter = tty ? new Prompter(process.stdin, process.stderr) : undefined;
  try {
    const values: ProvisionValues = flags.from ? valuesFromText(read(flags.from, "--from"), flags.from) : {};
    for (const k of VALUE_KEYS)
      if (flags[k] !== undefined) (values as Record<string, string>)[k] = flags[k] as string;
    const existing = existsSync(flags.config) ? read(flags.config, "config") : undefined;
    const base = existing !== undefined ? existingDoc(existing, flags.config) : undefined;
    const defaults = base ? valuesFromConfig(base) : {};
    for (const q of QUESTIONS) {
      if (values[q.key] !== undefined) continue;
      const fallback = defaults[q.key] ?? q.fallback;
      const answer = prompter ? await prompter.ask(q.ask, fallback, q.required) : fallback;
      if (answer !== undefined) values[q.key] = answer as never;
      else if (q.required)
        throw new CliExit(
          EXIT.usage,
          `hearth provision: no ${q.key} (give --${q.key === "home" ? "home" : q.key}, --from FILE, or run it on a terminal)`,
        );
    }
    const password = values.passwordFile
      ? read(values.passwordFile, "password file").replace(/\r?\n$/, "")
      : undefined;
    const cloudKey = values.cloudKey ? read(values.cloudKey, "cloud key") : undefined;
    const releaseKey = values.releaseKey ? read(values.releaseKey, "release key") : undefined;
    const snippets = (flags.snippet ?? []).map((f) => snippetDevices(read(f, "snippet"), f));
    const plan = planConfig({
      values,
      dir: flags.dir ?? dirname(flags.config),
      ...(base ? { base } : {}),
      snippets,
      ...(password !== undefined ? { password } : {}),
      ...(cloudKey !== undefined ? { cloudKey } : {}),
      ...(releaseKey !== undefined ? { releaseKey } : {}),
    });
    const text = configText(plan.doc);
    const cat = loadCatalogue();
    const parsed = parseConfig(text, flags.config, cat.profiles);
    if (!parsed.ok) {
      printProblems("The config provision would write is not valid", parsed.problems);
      throw new CliExit(EXIT.failed);
    }
    if (existing !== undefined && existing === text && plan.files.length === 0) {
      printJson({ ok: true, config: flags.config, changed: false });
      return;
    }
    if (existing !== undefined) {
      const diff = changedLines(lineDiff(existing, text));
      process.stderr.write(`${flags.config} is already provisioned; the changes:\n${diff.join("\n")}\n`);
      if (plan.files.length > 0)
        process.stderr.write(`and these files are replaced: ${plan.files.map((f) => f.to).join(", ")}\n`);
      const yes = flags.yes || (prompter ? await prompter.confirm("Apply these changes?") : false);
      if (!yes)
        throw new CliExit(
          EXIT.failed,
          `hearth provision: nothing changed${prompter ? "" : " (run with --yes to apply)"}`,
        );
    }
    const owners = resolveOwners(flags.user, flags.group);
    let broker = "not tried (--no-broker-check)";
    if (flags.brokerCheck) {
      // The files are not in place yet: the check reads the installer's copies.
      const source = new Map(plan.files.map((f) => [f.to, f.from]));
      const b = parsed.value.cloud.brokers[0];
      if (!b) throw new CliExit(EXIT.failed, "hearth provision: no broker");
      const tls = b.tls && {
        ...b.tls,
        ...(b.tls.ca ? { ca: source.get(b.tls.ca) ?? b.tls.ca } : {}),
        ...(b.tls.cert ? { cert: source.get(b.tls.cert) ?? b.tls.cert } : {}),
        ...(b.tls.key ? { key: source.get(b.tls.key) ?? b.tls.key } : {}),
      };
      const how = /^(mqtts|ssl|tls):/.test(b.url) ? "TLS handshake, " : "";
      process.stderr.write(`provision: trying ${b.url} (${how}subscribe to its command topic)…\n`);
      const r = await checkBroker({ ...b, ...(tls ? { tls } : {}) }, parsed.value.home.id);
      if (!r.ok)
        throw new CliExit(
          EXIT.failed,
          `hearth provision: the broker check failed, nothing written: ${r.detail}`,
        );
      broker = r.detail;
    }
    installFiles(plan.files, { path: flags.config, text }, owners);
    printJson({
      ok: true,
      config: flags.config,
      changed: true,
      home: parsed.value.home.id,
      devices: parsed.value.devices.map((d) => d.id),
      files: plan.files.map((f) => ({
        path: f.to,
        mode: `0${f.mode.toString(8)}`,
        owner: f.owner === "service" ? flags.user : "root",
      })),
      broker,
    });
    process.stderr.write(
      `Provisioned ${parsed.value.home.id}: next, \`hearth doctor --config ${flags.config}\`.\n`,
    );
  } finally {
    prompter?.close();
  }
}

/** The config already there, as a mapping; one that is not YAML is reported, not overwritten blindly. */
function existingDoc(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new CliExit(
      EXIT.failed,
      `hearth provision: ${file} exists but is not YAML (${errorMessage(e).split("\n")[0]}): fix or move it first`,
    );
  }
  return doc && typeof doc === "object" && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
}
