import { parse as parseYaml } from "yaml";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";

/**
 * What a home's config is made of at provisioning. File paths are where the installer's files are
 * now (they are copied into the config directory); secrets are never values here, only files.
 */
export interface ProvisionValues {
  home?: string;
  timezone?: string;
  broker?: string;
  mqttVersion?: "3.1.1" | "5";
  username?: string;
  /** A file holding the broker password (or "-" for standard input). */
  passwordFile?: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** The cloud's command-signing public key (PEM or base64), a file. */
  cloudKey?: string;
  /** The release-signing public key (hearth update checks releases with it), a file. */
  releaseKey?: string;
  /** "22:00-07:00". */
  sleepWindow?: string;
  stateDir?: string;
}

/** Asked for on a terminal when missing, in this order, with what the question says. */
export const QUESTIONS: readonly {
  key: keyof ProvisionValues;
  ask: string;
  required: boolean;
  fallback?: string;
}[] = [
  { key: "home", ask: "Home id (letters, digits, - and _)", required: true },
  { key: "timezone", ask: "Time zone (IANA, e.g. Europe/Berlin)", required: true },
  { key: "broker", ask: "Broker URL (mqtts://host:8883)", required: true },
  { key: "ca", ask: "CA certificate file (empty: none)", required: false },
  { key: "cert", ask: "Client certificate file (empty: none)", required: false },
  { key: "key", ask: "Client private key file (empty: none)", required: false },
  { key: "cloudKey", ask: "Cloud's command-signing public key file (empty: none)", required: false },
  { key: "sleepWindow", ask: "Usual night, HH:MM-HH:MM", required: false, fallback: "22:00-07:00" },
];

/** Every value provision takes, by its flag's name. */
export const VALUE_KEYS = [
  "home",
  "timezone",
  "broker",
  "mqttVersion",
  "username",
  "passwordFile",
  "ca",
  "cert",
  "key",
  "cloudKey",
  "releaseKey",
  "sleepWindow",
  "stateDir",
] as const satisfies readonly (keyof ProvisionValues)[];
const KEYS: ReadonlySet<string> = new Set(VALUE_KEYS);
/** Keys of a --from file, in its own spelling (snake_case accepted too). */
const ALIASES: Record<string, keyof ProvisionValues> = {
  mqtt_version: "mqttVersion",
  password_file: "passwordFile",
  cloud_key: "cloudKey",
  release_key: "releaseKey",
  sleep_window: "sleepWindow",
  state_dir: "stateDir",
};

/** A `--from` file: YAML or JSON, one key per value. A password in it is refused: secrets are files. */
export function valuesFromText(text: string, file: string): ProvisionValues {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new HearthError(`${file}: not YAML: ${errorMessage(e)}`, ErrorCode.ConfigInvalid, { file });
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    throw new HearthError(
      `${file}: expected a mapping of values (home, timezone, broker, …)`,
      ErrorCode.ConfigInvalid,
    );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (k === "password")
      throw new HearthError(
        `${file}: password: secrets come from a file (password_file) or standard input, not from here`,
        ErrorCode.ConfigInvalid,
      );
    const key = ALIASES[k] ?? k;
    if (!KEYS.has(key))
      throw new HearthError(
        `${file}: unknown key "${k}" (known: ${[...KEYS].join(", ")})`,
        ErrorCode.ConfigInvalid,
      );
    if (typeof v !== "string" && typeof v !== "number")
      throw new HearthError(`${file}: ${k}: expected text, found ${typeof v}`, ErrorCode.ConfigInvalid);
    out[key] = String(v);
  }
  return out as ProvisionValues;
}

/** "22:00-07:00" → start and end. */
export function sleepWindow(text: string): { start: string; end: string } {
  const m = /^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$/.exec(text);
  if (!m?.[1] || !m[2])
    throw new HearthError(
      `sleep window "${text}": expected HH:MM-HH:MM, e.g. 22:00-07:00`,
      ErrorCode.ConfigInvalid,
    );
  const pad = (t: string) => t.padStart(5, "0");
  return { start: pad(m[1]), end: pad(m[2]) };
}
