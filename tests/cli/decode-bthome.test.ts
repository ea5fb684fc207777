/**
 * `hearth decode bthome` as the installer runs it: the built CLI (dist/), spawned, stdout and exit code.
 * Vectors: bthome.io/format and bthome.io/encryption (the latter also in Bluetooth-Devices/bthome-ble
 * tests/test_parser_v2.py test_bindkey_correct).
 */
import { describe, expect, it } from "vitest";
import { FORMAT_EXAMPLE_DECODED } from "../helpers/bthome.js";
import { hearthSync } from "../helpers/cli.js";

const hearth = hearthSync;

/** bthome.io/format: the whole advertising payload (flags, name "DIY-sensor", service data 0xFCD2). */
const SPEC_ADVERT = "020106 0B094449592D73656E736F72 0A16D2FC 40 02C409 03BF13";
/** bthome.io/encryption: service data after the UUID, encrypted with KEY for MAC, counter 0x33221100. */
const SPEC_ENCRYPTED = "41 a47266c95f73 00112233 78237214";
const KEY = "231d39c1d7cc1ab1aee224cd096db932";
const MAC = "5448E68F80A5";

describe("hearth decode bthome", () => {
  it("--key with an unencrypted advert exits 1, refused as the agent refuses it (bthome-ble test_encryption_downgrade_fails)", () => {
    const r = hearth([
      "decode",
      "bthome",
      "4004138a01",
      "--mac",
      "A4C1388D18B2",
      "--key",
      "814aac74c4f17b6c1581e1ab87816b99",
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/unencrypted BTHome advert, but --key was given/);
  });

  it("a timestamp as ISO time and buttons by index (bthome-ble test_bthome_timestamp, test_bthome_event_triple_button_device)", () => {
    const ts = JSON.parse(hearth(["decode", "bthome", "44505d396164"]).stdout);
    expect(ts.objects[0]).toMatchObject({ key: "timestamp", iso: "2023-05-14T19:41:17Z" });
    const buttons = JSON.parse(hearth(["decode", "bthome", "403a003a013a03"]).stdout);
    expect(buttons.events.map((e: { key: string; event_id: number }) => `${e.key}:${e.event_id}`)).toEqual([
      "button_2:1",
      "button_3:3",
    ]);
  });

  it("the format page's advert → one JSON object with the spec's names and units, exit 0", () => {
    const r = hearth(["decode", "bthome", SPEC_ADVERT]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(FORMAT_EXAMPLE_DECODED);
  });

  it("the encryption page's advert with its key and a MAC without colons → decrypted values and counter", () => {
    const r = hearth(["decode", "bthome", SPEC_ENCRYPTED, "--mac", MAC, "--key", KEY]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      encrypted: true,
      mac: "54:48:E6:8F:80:A5",
      counter: 0x33221100,
      objects: [
        { id: 0x02, name: "temperature", value: 25.06, unit: "°C" },
        { id: 0x03, name: "humidity", value: 50.55, unit: "%" },
      ],
    });
  });

  it("a wrong key exits 1 saying authentication failed, and prints no values", () => {
    const wrong = `${KEY.slice(0, 31)}3`;
    const r = hearth(["decode", "bthome", SPEC_ENCRYPTED, "--mac", MAC, "--key", wrong]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/hearth decode bthome: .*failed authentication.*wrong bind key/);
  });

  it("an encrypted advert without a key exits 1 saying the key is missing", () => {
    const r = hearth(["decode", "bthome", SPEC_ENCRYPTED, "--mac", MAC]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/no bind key/);
  });

  it("- reads one advert per line: good lines decode, bad lines print {line, error}, the run goes on, exit 1", () => {
    const r = hearth(
      ["decode", "bthome", "-"],
      [
        "40 02C409 03BF13", // line 1: temperature and humidity
        "not hex", // line 2
        "# a comment line is skipped", // line 3
        "40 02C4", // line 4: temperature cut short
        "44 00 07 3A 01", // line 5: trigger based, packet id 7, button press
      ].join("\n"),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2 of the input's frames could not be decoded/);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ objects: [{ name: "temperature" }, { name: "humidity" }] });
    expect(lines[1]).toEqual({ line: 2, error: expect.stringMatching(/Not a hex byte string/) });
    expect(lines[2]).toEqual({ line: 4, error: expect.stringMatching(/temperature.*needs 2 byte/) });
    expect(lines[3]).toMatchObject({
      trigger_based: true,
      packet_id: 7,
      events: [{ id: 0x3a, name: "button", event: "press" }],
    });
  });
});
