import { join } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { type ProvisionValues, sleepWindow } from "./values.js";

/** A file provision puts in place: the installer's copy, where it goes, and who may read it. */
export interface InstallFile {
  from: string;
  to: string;
  mode: number;
  /** root: certificates (public); service: the private key, readable by the agent's user only. */
  owner: "root" | "service";
}

type Doc = Record<string, unknown>;
type Device = Record<string, unknown> & { id?: unknown };

const obj = (v: unknown): Doc => (v && typeof v === "object" && !Array.isArray(v) ? (v as Doc) : {});

/** What an existing config says, as values: the defaults of a re-run. */
export function valuesFromConfig(doc: Doc): ProvisionValues {
  const home = obj(doc.home);
  const broker = obj((obj(doc.cloud).brokers as unknown[] | undefined)?.[0]);
  const sw = obj(obj(doc.detection).sleep_window);
  const out: ProvisionValues = {};
  if (typeof home.id === "string") out.home = home.id;
  if (typeof home.timezone === "string") out.timezone = home.timezone;
  if (typeof broker.url === "string") out.broker = broker.url;
  if (typeof sw.start === "string" && typeof sw.end === "string") out.sleepWindow = `${sw.start}-${sw.end}`;
  if (typeof doc.state_dir === "string") out.stateDir = doc.state_dir;
  return out;
}

/** The `devices:` entries of a snippet printed by `hearth probe` or `hearth scan ble --press`. */
export function snippetDevices(text: string, file: string): Device[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new HearthError(`${file}: not YAML: ${errorMessage(e)}`, ErrorCode.ConfigInvalid, { file });
  }
  const list = Array.isArray(doc) ? doc : obj(doc).devices;
  if (
    !Array.isArray(list) ||
    list.some((d) => !d || typeof d !== "object" || typeof (d as Device).id !== "string")
  )
    throw new HearthError(
      `${file}: expected a devices: list, each entry with an id`,
      ErrorCode.ConfigInvalid,
      { file },
    );
  return list as Device[];
}

/** Devices of `base`, then each snippet's: an entry with an id already there replaces it in place. */
export function mergeDevices(base: readonly Device[], snippets: readonly Device[][]): Device[] {
  const out = [...base];
  for (const list of snippets)
    for (const d of list) {
      const at = out.findIndex((x) => x.id === d.id);
      if (at >= 0) out[at] = d;
      else out.push(d);
    }
  return out;
}

export interface PlanInput {
  values: ProvisionValues;
  /** The config directory, where certificates and the key go (/etc/hearth). */
  dir: string;
  /** The config already there (parsed), kept where the values say nothing. */
  base?: Doc;
  snippets: Device[][];
  password?: string;
  /** The cloud's public key, as text. */
  cloudKey?: string;
  /** The release-signing public key, as text. */
  releaseKey?: string;
}

/** The config document and the files to install, from the values and what was there. */
export function planConfig(p: PlanInput): { doc: Doc; files: InstallFile[] } {
  const v = p.values;
  const base = structuredClone(p.base ?? {});
  const files: InstallFile[] = [];
  const oldBroker = obj((obj(base.cloud).brokers as unknown[] | undefined)?.[0]);
  const broker: Doc = { ...oldBroker, url: v.broker };
  if (v.mqttVersion) broker.mqtt_version = v.mqttVersion;
  if (v.username !== undefined) broker.username = v.username;
  if (p.password !== undefined) broker.password = p.password;
  const tls = obj(oldBroker.tls);
  const put = (from: string | undefined, name: string, key: "ca" | "cert" | "key") => {
    if (!from) return;
    const to = join(p.dir, name);
    files.push({ from, to, mode: key === "key" ? 0o600 : 0o644, owner: key === "key" ? "service" : "root" });
    tls[key] = to;
  };
  put(v.ca, "ca.pem", "ca");
  put(v.cert, "client.pem", "cert");
  put(v.key, "client.key", "key");
  if (Object.keys(tls).length > 0) broker.tls = tls;
  const cloud: Doc = { ...obj(base.cloud), brokers: [broker] };
  if (p.cloudKey !== undefined) cloud.commands = { ...obj(cloud.commands), public_key: p.cloudKey.trim() };
  if (p.releaseKey !== undefined) cloud.release_public_key = p.releaseKey.trim();
  const detection = obj(base.detection);
  if (v.sleepWindow) detection.sleep_window = sleepWindow(v.sleepWindow);
  const doc: Doc = {
    version: 1,
    home: { ...obj(base.home), id: v.home, timezone: v.timezone },
    ...(v.stateDir
      ? { state_dir: v.stateDir }
      : base.state_dir !== undefined
        ? { state_dir: base.state_dir }
        : {}),
    cloud,
    devices: mergeDevices((base.devices as Device[] | undefined) ?? [], p.snippets),
  };
  if (Object.keys(detection).length > 0) doc.detection = detection;
  // Whatever else the installer or an earlier edit put there (outputs, outbox, log_level) stays.
  for (const [k, val] of Object.entries(base)) if (!(k in doc)) doc[k] = val;
  return { doc, files };
}

export function configText(doc: Doc): string {
  return `# Written by hearth provision; hearth validate checks it, hearth doctor checks the home.\n${stringify(doc, { lineWidth: 0 })}`;
}
