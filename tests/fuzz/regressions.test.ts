/**
 * Defects the fuzzers found (issue 9), each kept fixed here with the shrunk counterexample that showed it.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { loadCatalogue, parseProfile } from "../../src/profiles/catalogue.js";
import { parseLine } from "../../src/replay/input.js";

describe("found by fuzzing", () => {
  it("replay input: a channel named after an Object.prototype member is unknown, not a reading", () => {
    // replay.input: `"channel":"constructor"` passed the `in CHANNELS` check and `hearth replay`
    // printed telemetry for a channel that does not exist.
    for (const channel of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
      const r = parseLine(
        JSON.stringify({ ts: "2026-03-01T08:00:00+08:00", device: "meter-1", channel, value: 0 }),
      );
      expect(r, channel).toBe(`unknown channel ${JSON.stringify(channel)}`);
    }
    expect(
      parseLine(
        JSON.stringify({ ts: "2026-03-01T08:00:00+08:00", device: "m", channel: "power_w", value: 1 }),
      ),
    ).toMatchObject({ kind: "reading", channel: "power_w" });
  });
});

describe("found by fuzzing: secrets in YAML syntax errors", () => {
  const profiles = loadCatalogue().profiles;
  const shown = (text: string) => {
    const r = parseConfig(text, "home.yaml", profiles);
    expect(r.ok).toBe(false);
    return r.ok ? "" : JSON.stringify(r.problems);
  };

  it("a password on a line the YAML parser cannot place is not quoted in the problem", () => {
    // config.load, shrunk: the first line broken (" 1" instead of "version: 1"), so every later line
    // is an "unexpected scalar" quoting its text, the broker password among them.
    const text = [
      " 1",
      "home:",
      "  id: home-0001",
      "cloud:",
      "  brokers:",
      "    - url: mqtts://broker.example:8883",
      "      password: hunter2hunter2",
      "devices: []",
    ].join("\n");
    const problems = shown(text);
    expect(problems).toMatch(/not valid YAML/);
    expect(problems).not.toContain("hunter2hunter2");
  });

  it("nor a malformed bind key too short for the hex-run mask, in block or flow style", () => {
    for (const text of [
      " 1\ndevices:\n  - id: b\n    key: 0123456789abcde\n",
      " 1\ndevices:\n  - { id: b, key: '0123456789abcde' }\n",
    ]) {
      const problems = shown(text);
      expect(problems).toMatch(/not valid YAML/);
      expect(problems).not.toContain("0123456789abcde");
    }
  });

  it("nor a password after a mistyped key (`}password:`), whose unplaced scalar runs on into the next line", () => {
    // config.load at 10^6 cases (seed 1286240685, shrunk by hand): the `}` made `password` a stray
    // scalar, so the secret scan (which wanted a space, `{` or `,` before the key) missed its value, and
    // the parser quoted "<password>\n      insecure" in an "unexpected scalar" problem.
    const text = [
      "version: 1",
      "home: { id: home-0001, timezone: Asia/Shanghai }",
      "cloud:",
      "  brokers:",
      "    - url: mqtts://broker.example:8883",
      "      username: gw",
      " }password: s3cretpassw0rd",
      "      insecure: true",
      "devices: []",
    ].join("\n");
    const problems = shown(text);
    expect(problems).toMatch(/not valid YAML/);
    expect(problems).not.toContain("s3cretpassw0rd");
  });

  it("nor a bind key in an unknown key's path (`key:\"<hex>` with no space makes one key of the line)", () => {
    // config.load at 10^6 cases (seed 1286240685, case 159,029, shrunk by hand): the problem's found
    // value was masked, its path was not.
    const text = [
      "version: 1",
      "home: { id: home-0001, timezone: Asia/Shanghai }",
      'cloud: { brokers: [ { url: "mqtts://broker.example:8883" } ] }',
      "devices:",
      "  - id: button-1",
      "    profile: shelly-blu-button1",
      "    mac: AA:BB:CC:DD:EE:FF",
      '    key:"00112233445566778899aabbccddeeff    insecure: false',
    ].join("\n");
    const problems = shown(text);
    expect(problems).toMatch(/unknown key/);
    expect(problems).not.toContain("00112233445566778899aabbccddeeff");
  });
});

describe("found by fuzzing: YAML aliases", () => {
  it("a config or profile with an alias to no anchor is a problem, not a ReferenceError", () => {
    // config.load and profile.load, shrunk to "*!" and "*-": `doc.toJS()` threw for an alias whose
    // anchor is never set, and `hearth validate` / `hearth run` died with a stack trace.
    const profiles = loadCatalogue().profiles;
    for (const text of ["*!", "version: 1\nhome: *nowhere\n"]) {
      const r = parseConfig(text, "home.yaml", profiles);
      expect(r.ok).toBe(false);
      expect(JSON.stringify(r.ok ? [] : r.problems)).toMatch(/alias/);
      const p = parseProfile(text, "p.yaml");
      expect(p.ok).toBe(false);
    }
  });

  it("an alias bomb is refused as a problem, not expanded", () => {
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const r = parseConfig(lines.join("\n"), "home.yaml", loadCatalogue().profiles);
    expect(r.ok).toBe(false);
  });
});

describe("found by fuzzing: a password in a URL with a mistyped scheme", () => {
  it("a refused broker URL shows its host, never what comes before its last @", () => {
    // config.load, shrunk: "mqtts:!//gw:<password>@ broker…" slipped past the "://user:pass@" mask.
    for (const url of [
      "mqtts:!//gw:pw4fuzzing99@ broker.example:8883",
      "mqtts:/gw:pw4fuzzing99@broker.example:8883",
      "gw:pw4fuzzing99@broker.example",
    ]) {
      const r = parseConfig(
        `version: 1\nhome: { id: home-0001, timezone: UTC }\ncloud:\n  brokers:\n    - url: "${url}"\ndevices: []\n`,
        "home.yaml",
        loadCatalogue().profiles,
      );
      expect(r.ok, url).toBe(false);
      const shown = JSON.stringify(r.ok ? [] : r.problems);
      expect(shown, url).toMatch(/broker\.example/);
      expect(shown, url).not.toContain("pw4fuzzing99");
    }
  });
});
