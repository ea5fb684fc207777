import { readFileSync, statSync } from "node:fs";
import { parseDocument } from "yaml";
import { formatDuration } from "../core/duration.js";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import { type Problem, parseYamlWith } from "../core/yaml-validate.js";
import { closestId } from "../profiles/catalogue.js";
import type { DeviceProfile } from "../profiles/schema.js";
import { deviceEntry, foreignKeys, type LoadedConfig, missingKeys } from "./devices.js";
import { configSchema, type HearthConfig } from "./schema.js";

type Locate = (path: readonly PropertyKey[]) => { line?: number; column?: number };

/** Cross-checks a schema cannot express: profiles exist, each device has its protocol's keys, unique ids, one setting per line. */
export function checkConfig(
  cfg: HearthConfig,
  file: string,
  at: Locate,
  profiles: ReadonlyMap<string, DeviceProfile>,
): Problem[] {
  const problems: Problem[] = [];
  const add = (path: PropertyKey[], found: string, expected: string) =>
    problems.push({
      file,
      path: path
        .map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
        .join(""),
      ...at(path),
      found,
      expected,
      message: "",
    });
  const ids = new Map<string, number>();
  const lines = new Map<string, { baud: number; parity: string; index: number }>();
  const busAddr = new Map<string, number>();
  const ieee = new Map<string, number>();
  cfg.devices.forEach((d, i) => {
    const base: PropertyKey[] = ["devices", i];
    const prev = ids.get(d.id);
    if (prev !== undefined) add([...base, "id"], JSON.stringify(d.id), `an id not used by devices[${prev}]`);
    ids.set(d.id, i);
    const profile = profiles.get(d.profile);
    if (!profile) {
      const near = closestId(d.profile, profiles.keys());
      add(
        [...base, "profile"],
        JSON.stringify(d.profile),
        near ? `a known profile (did you mean "${near}"?)` : `one of ${[...profiles.keys()].join(", ")}`,
      );
      return;
    }
    for (const k of missingKeys(d, profile.protocol))
      add([...base, k], "nothing", `${k} (a ${profile.protocol} device needs it)`);
    for (const k of foreignKeys(d, profile.protocol))
      add(
        [...base, k],
        k === "key"
          ? "key: a bind key (not shown)"
          : typeof d[k] === "number" && k === "heard_every"
            ? `${k}: ${formatDuration(d[k])}`
            : `${k}: ${JSON.stringify(d[k])}`,
        `no ${k} for a ${profile.protocol} device`,
      );
    if (d.ieee_address !== undefined && profile.protocol === "zigbee2mqtt") {
      const other = ieee.get(d.ieee_address.toLowerCase());
      if (other !== undefined)
        add([...base, "ieee_address"], d.ieee_address, `an address not used by devices[${other}]`);
      else ieee.set(d.ieee_address.toLowerCase(), i);
    }
    if (profile.protocol === "gatt_health" && !cfg.health.enabled)
      add(
        [...base, "profile"],
        JSON.stringify(d.profile),
        "health.enabled: true first (health data is opt-in per home)",
      );
    if (profile.protocol === "bthome" && d.heard_every === "on_change")
      add(
        [...base, "heard_every"],
        "on_change",
        `a duration: the BTHome receiver reports ${d.id} offline after 2.5 × its advertising interval, so it needs its beacon`,
      );
    if (profile.protocol === "gatt_health" && d.user_id !== undefined && !profile.gatt_health.multi_user)
      add([...base, "user_id"], String(d.user_id), `no user_id: ${profile.id} keeps one user's readings`);
    if (profile.protocol === "bthome" && d.key === undefined && d.insecure !== true) {
      const trusted = Object.entries(profile.bthome.actions)
        .filter(([, action]) => action === "call" || action === "i_am_fine")
        .map(([event, action]) => `${event} → ${action}`);
      if (trusted.length > 0)
        add(
          [...base, "key"],
          "nothing",
          `a bind key (32 hex digits): without one, anyone nearby can send this button's ${trusted.join(", ")}; or insecure: true to accept that`,
        );
    }
    if (d.port && !d.port.startsWith("tcp://") && profile.protocol !== "bthome" && "serial" in profile) {
      const baud = d.baud ?? profile.serial.baud;
      const parity = d.parity ?? profile.serial.parity;
      const line = lines.get(d.port);
      if (line && (line.baud !== baud || line.parity !== parity)) {
        add(
          [...base, "baud"],
          `${baud} baud, parity ${parity} on ${d.port}`,
          `the same settings as devices[${line.index}] on that line (${line.baud} baud, parity ${line.parity}): one RS-485 line has one setting`,
        );
      } else if (!line) lines.set(d.port, { baud, parity, index: i });
      const addr = `${d.port}|${profile.protocol}|${d.unit_id ?? d.address ?? ""}`;
      const other = busAddr.get(addr);
      if (other !== undefined)
        add(
          [...base, profile.protocol === "modbus" ? "unit_id" : "address"],
          String(d.unit_id ?? d.address),
          `an address not used by devices[${other}] on the same line`,
        );
      busAddr.set(addr, i);
    }
  });
  return problems;
}

/** The path of a device's bind key in a problem: `devices[2].key`. */
const KEY_PATH = /^devices\[\d+\]\.key$/;
/** A run of hex digits long enough to be (most of) a bind key; no other setting has one this long. */
const HEX_RUN = /[0-9A-Fa-f]{16,}/g;

/**
 * What a bind key is, without any of it: the key is a secret, and a malformed key (one typo) is
 * mostly the real one. Its length and what is wrong with it, never its characters.
 */
function describeKey(v: unknown): string {
  if (typeof v === "string" && /^[0-9A-Fa-f]{32}$/.test(v)) return "a bind key (not shown)";
  if (typeof v === "string") return `${v.length} characters, not 32 hex digits (a bind key is not shown)`;
  if (v === undefined || v === null) return "nothing";
  if (typeof v === "number") return "a number, not 32 hex digits (quote the key; a bind key is not shown)";
  return `${Array.isArray(v) ? "a list" : typeof v === "object" ? "a mapping" : `a ${typeof v}`}, not 32 hex digits`;
}

function valueAt(root: unknown, path: string): unknown {
  const m = /^devices\[(\d+)\]\.key$/.exec(path);
  if (!m) return undefined;
  const devices = (root as { devices?: unknown } | null)?.devices;
  const device: unknown = Array.isArray(devices) ? devices[Number(m[1])] : undefined;
  return device !== null && typeof device === "object" ? (device as { key?: unknown }).key : undefined;
}

/** The user name and password of a URL (up to its last `@`), wherever a URL is quoted. */
const URL_USERINFO = /(\/\/)[^\s/"']*@/g;
/** A broker's password. */
const PASSWORD_PATH = /(^|\.)password$/;
/** The commands' public key, where a private key pasted by mistake must not be printed back. */
const PUBLIC_KEY_PATH = /^cloud\.commands\.public_key(\[\d+\])?$/;
/** A broker's URL. */
const URL_PATH = /(^|\.)url$/;
/** The value after a `password:` or `key:` in the text, block or flow style, quoted or not. */
const SECRET_VALUE = /(?:^|[^\w-])(?:password|key)\s*:\s*["']?([^\s"',}#]+)/gm;

/**
 * Problems with no part of a bind key in them: a problem at a key's path says the key's length
 * instead of its value (the generic schema check in core/yaml-validate.ts quotes what it found), and
 * any run of 16 or more hex digits elsewhere (a key inside a malformed line) is masked.
 */
function withoutKeys(text: string, problems: Problem[]): Problem[] {
  let data: unknown;
  const keyValue = (path: string): unknown => {
    if (data === undefined) {
      try {
        data = parseDocument(text, { uniqueKeys: false }).toJS() ?? null;
      } catch {
        data = null;
      }
    }
    return valueAt(data, path);
  };
  // A YAML syntax error quotes the token it could not place, a password or short key as well.
  const secrets = [...text.matchAll(SECRET_VALUE)]
    .map((m) => m[1] as string)
    // Shorter values would garble every message they occur in; they give little away either.
    .filter((v) => v.length >= 4);
  const mask = (s: string | undefined) => {
    let out = s
      ?.replace(HEX_RUN, (run) => `<${run.length} hex digits, not shown>`)
      .replace(URL_USERINFO, "$1<user info, not shown>@");
    for (const secret of secrets) out = out?.replaceAll(secret, "<secret, not shown>");
    return out;
  };
  return problems.map((p) => {
    const found = KEY_PATH.test(p.path)
      ? describeKey(keyValue(p.path))
      : PASSWORD_PATH.test(p.path) && p.found !== undefined
        ? "a password (not shown)"
        : PUBLIC_KEY_PATH.test(p.path) && p.found?.includes("PRIVATE")
          ? "a private key (not shown)"
          : URL_PATH.test(p.path)
            ? // A refused URL may have any scheme typo: everything up to its last @ may be user info.
              mask(p.found?.replace(/((?:[a-z]+:\/\/)?)[^\s"]*@/i, "$1<user info, not shown>@"))
            : mask(p.found);
    const expected = mask(p.expected);
    return {
      ...p,
      // An unknown key made of a mistyped line (`key:"<hex>` with no space) is part of the path.
      path: mask(p.path) ?? p.path,
      ...(found !== undefined ? { found } : {}),
      ...(expected !== undefined ? { expected } : {}),
      message: mask(p.message) ?? "",
    };
  });
}

/** A config that failed: every problem, and what kind of failure it is. */
export type ConfigFailure = {
  ok: false;
  /** ConfigNotFound: the file cannot be read; ConfigInvalid: it can, and is not a valid config. */
  code: ErrorCode;
  problems: Problem[];
};
export type ConfigResult = { ok: true; value: LoadedConfig } | ConfigFailure;

/** Validates config text; a valid config comes back with its devices typed per protocol. */
export function parseConfig(
  text: string,
  file: string,
  profiles: ReadonlyMap<string, DeviceProfile>,
): ConfigResult {
  const parsed = parseYamlWith(text, file, configSchema, (cfg, at) => checkConfig(cfg, file, at, profiles));
  if (!parsed.ok)
    return { ok: false, code: ErrorCode.ConfigInvalid, problems: withoutKeys(text, parsed.problems) };
  const devices = parsed.value.devices.map((d) => {
    // checkConfig refused any device without a known profile or without its protocol's keys.
    const protocol = profiles.get(d.profile)?.protocol;
    const entry = protocol && deviceEntry(d, protocol);
    if (!entry) throw new HearthError(`device ${d.id} passed the config check untyped`, ErrorCode.Internal);
    return entry;
  });
  return { ok: true, value: { ...parsed.value, devices } };
}

/** Reads and validates a config file; every problem is listed. Never throws for bad input. */
export function loadConfigFile(file: string, profiles: ReadonlyMap<string, DeviceProfile>): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return {
      ok: false,
      code: ErrorCode.ConfigNotFound,
      problems: [{ file, path: "", message: `cannot read the config file: ${errorMessage(e)}` }],
    };
  }
  const parsed = parseConfig(text, file, profiles);
  if (!parsed.ok) return parsed;
  const hasSecret =
    parsed.value.devices.some((d) => d.protocol === "bthome" && d.key !== undefined) ||
    parsed.value.cloud.brokers.some((b) => b.password !== undefined) ||
    parsed.value.zigbee2mqtt?.password !== undefined;
  if (hasSecret) {
    try {
      const mode = statSync(file).mode;
      if (mode & 0o004) {
        return {
          ok: false,
          code: ErrorCode.ConfigInvalid,
          problems: [
            {
              file,
              path: "",
              found: `mode ${(mode & 0o777).toString(8)} (anyone can read the keys in it)`,
              expected: `a file not world-readable (chmod 600 ${file})`,
              message: "",
            },
          ],
        };
      }
    } catch {
      // The file was just read; a stat failure here is a race we can ignore.
    }
  }
  return parsed;
}
