/** The config and profile loaders, from YAML text: a value or a list of problems, never a throw. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { parseConfig } from "../../src/config/load.js";
import {
  type Catalogue,
  defaultProfileDir,
  loadCatalogue,
  parseProfile,
} from "../../src/profiles/catalogue.js";
import { type FuzzTarget, invariant, mutatedText } from "./harness.js";

const catalogue: Catalogue = loadCatalogue();
const profiles = () => catalogue.profiles;

const GOOD_CONFIG = readFileSync(join(import.meta.dirname, "../fixtures/config/good.yaml"), "utf8");
const PROFILE_TEXTS = readdirSync(defaultProfileDir())
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => readFileSync(join(defaultProfileDir(), f), "utf8"));

/** Any value YAML can write in a slot: the right type, the wrong type, nothing. */
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });
const slot = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: good }, anyValue);

/** Secrets the loader must never echo: a bind key of 16+ hex digits, a broker password. */
const hexKey = fc.string({
  unit: fc.constantFrom(..."0123456789abcdefABCDEF"),
  minLength: 16,
  maxLength: 40,
});
const password = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"),
  minLength: 12,
  maxLength: 20,
});

const device = fc.record(
  {
    id: slot(fc.constantFrom("meter-1", "button-1", "door", "Bad Id", "")),
    profile: slot(fc.constantFrom(...[...catalogue.profiles.keys()], "no-such-profile")),
    port: slot(fc.constantFrom("/dev/ttyUSB0", "tcp://10.0.0.2:502", "sim://x", "COM3")),
    unit_id: slot(fc.integer({ min: -1, max: 300 })),
    address: slot(fc.constantFrom("000000000001", "12345678901234", "AAAAAAAAAAAA", "xyz")),
    mac: slot(fc.constantFrom("AA:BB:CC:DD:EE:FF", "aa-bb-cc-dd-ee-ff", "AABBCCDDEEFF", "zz")),
    key: hexKey,
    insecure: slot(fc.boolean()),
  },
  { requiredKeys: ["id", "profile"] },
);

const configObject = fc.record(
  {
    version: slot(fc.constantFrom(1, 2)),
    home: slot(
      fc.record({
        id: slot(fc.constantFrom("home-0001", "x", "")),
        timezone: slot(fc.constantFrom("Asia/Shanghai", "UTC", "Mars/Olympus", "+08:00")),
      }),
    ),
    state_dir: slot(fc.constantFrom("/var/lib/hearth", "relative/dir", "")),
    cloud: slot(
      fc.record({
        brokers: slot(
          fc.array(
            fc.record(
              {
                url: fc.oneof(
                  fc.constantFrom(
                    "mqtt://127.0.0.1:1883",
                    "mqtts://broker.example:8883",
                    "mqtt://10.1.1.1:1883",
                    "http://x",
                  ),
                  password.map((p) => `mqtts://gw:${p}@broker.example:8883`),
                  password.map((p) => `mqtt://gw:${p}@10.0.0.1:1883`),
                  fc.string({ maxLength: 30 }),
                ),
                mqtt_version: slot(fc.constantFrom("5", "3.1.1", 5)),
                username: maybe(fc.string({ maxLength: 10 })),
                password: maybe(fc.oneof(password, anyValue)),
                insecure: maybe(slot(fc.boolean())),
              },
              { requiredKeys: ["url"] },
            ),
            { maxLength: 3 },
          ),
        ),
        backoff_initial: maybe(slot(fc.constantFrom("100ms", "1s", "-1s", "forever"))),
      }),
    ),
    devices: slot(fc.array(device, { maxLength: 4 })),
    detection: maybe(
      slot(
        fc.record({
          sleep_window: slot(
            fc.record({
              start: slot(fc.constantFrom("22:30", "25:00")),
              end: slot(fc.constantFrom("06:30", "x")),
            }),
          ),
          max_silence_day: slot(fc.constantFrom("3h", "0s", "1y", "90m")),
        }),
      ),
    ),
    log_level: maybe(slot(fc.constantFrom("info", "debug", "loud"))),
    extra_key: maybe(anyValue),
  },
  { requiredKeys: ["version", "home", "cloud", "devices"] },
);

const configText = fc.oneof(
  { weight: 3, arbitrary: configObject.map((o) => stringify(o)) },
  { weight: 3, arbitrary: mutatedText(fc.constant(GOOD_CONFIG)) },
  { weight: 2, arbitrary: mutatedText(configObject.map((o) => stringify(o))) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

/** Every secret in the text: bind keys (16+ hex digits after `key:`) and URL or field passwords. */
function secretsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/key:\s*["']?([0-9A-Fa-f]{16,})/g)) out.push(m[1] as string);
  for (const m of text.matchAll(/\/\/[^:@\s/]*:([a-z0-9]{12,})@/g)) out.push(m[1] as string);
  for (const m of text.matchAll(/password:\s*["']?([a-z0-9]{12,})/g)) out.push(m[1] as string);
  return out;
}

/**
 * Config text (structured with wrong types in every slot, hand-edited, random YAML, noise): a typed
 * config or a non-empty list of problems; no problem repeats a bind key or a password from the text.
 */
export const configLoader: FuzzTarget<string> = {
  name: "config.load",
  ciRuns: 300,
  arbitrary: configText,
  run(text) {
    const r = parseConfig(text, "fuzz.yaml", profiles());
    if (r.ok) return;
    invariant(r.problems.length > 0, "a failure lists its problems");
    const shown = JSON.stringify(r.problems);
    for (const s of secretsIn(text)) invariant(!shown.includes(s), `a secret is echoed in a problem: ${s}`);
  },
};

/** Profile text (every catalogue profile, hand-edited; random YAML; noise): a profile or problems. */
export const profileLoader: FuzzTarget<string> = {
  name: "profile.load",
  ciRuns: 300,
  arbitrary: fc.oneof(
    { weight: 4, arbitrary: mutatedText(fc.constantFrom(...PROFILE_TEXTS), 4) },
    { weight: 1, arbitrary: fc.constantFrom(...PROFILE_TEXTS) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  ),
  run(text) {
    const r = parseProfile(text, "fuzz.yaml");
    if (!r.ok) invariant(r.problems.length > 0, "a failure lists its problems");
  },
};
