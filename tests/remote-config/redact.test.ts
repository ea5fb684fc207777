import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { mergePatch } from "../../src/remote-config/change.js";
import { configSecrets, REDACTED, redactedConfig, restoreRedacted } from "../../src/remote-config/redact.js";

/** The parts of a parsed config these tests read. */
type Doc = {
  cloud: { brokers: { url: string; password: string; tls: { key: string } }[] };
  devices: Record<string, unknown>[];
};

const TEXT = `version: 1
home: { id: h1 }
cloud:
  brokers:
    - { url: "mqtts://gw:url-pw-1@b.example:8883", password: broker-pw-1, tls: { key: /etc/hearth/client.key } }
zigbee2mqtt: { password: z2m-pw-1 }
devices:
  - { id: b1, profile: shelly-blu-button1, key: 0123456789abcdef0123456789abcdef }
  - { id: b2, profile: shelly-blu-button1, key: fedcba9876543210fedcba9876543210 }
`;

describe("config redaction", () => {
  it("hides passwords, bind keys and URL user info; keeps file paths and everything else", () => {
    const { config, hash } = redactedConfig(TEXT);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    for (const s of ["url-pw-1", "broker-pw-1", "z2m-pw-1", "0123456789abcdef", "fedcba9876543210", "gw:"])
      expect(config).not.toContain(s);
    const doc = parseYaml(config) as Doc;
    expect(doc.cloud.brokers[0]?.url).toBe(`mqtts://${REDACTED}@b.example:8883`);
    expect(doc.cloud.brokers[0]?.tls.key).toBe("/etc/hearth/client.key");
    expect(doc.devices[1]).toEqual({ id: "b2", profile: "shelly-blu-button1", key: REDACTED });
    expect(configSecrets(parseYaml(TEXT))).toEqual(
      expect.arrayContaining([
        "broker-pw-1",
        "z2m-pw-1",
        "0123456789abcdef0123456789abcdef",
        "gw:url-pw-1",
        "url-pw-1",
      ]),
    );
  });

  it("a redacted config sent back keeps each secret, devices matched by id even when reordered", () => {
    const back = parseYaml(redactedConfig(TEXT).config) as { devices: unknown[] };
    back.devices.reverse();
    const restored = restoreRedacted(back, parseYaml(TEXT)) as Doc;
    expect(restored.devices[0]).toMatchObject({ id: "b2", key: "fedcba9876543210fedcba9876543210" });
    expect(restored.devices[1]).toMatchObject({ id: "b1", key: "0123456789abcdef0123456789abcdef" });
    expect(restored.cloud.brokers[0]?.password).toBe("broker-pw-1");
  });

  it("merge patch (RFC 7396): objects merge, null removes, arrays replace", () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, d: [1, 2] }, { a: { b: null, e: 3 }, d: [9] })).toEqual({
      a: { c: 2, e: 3 },
      d: [9],
    });
  });
});
