import { describe, expect, it } from "vitest";
import { clientOptions, MAX_PACKET_BYTES, safeUrl } from "../../src/uplink/connect-options.js";
import { broker } from "./rig.js";

const params = {
  home: "home-1",
  keepaliveMs: 30_000,
  willPayload: "{}",
  willTopic: "hearth/v1/home-1/status",
};

describe("safeUrl never shows any part of the user info", () => {
  const passwords = [
    "p@ss",
    "@",
    "p@ss@word",
    "a:b",
    "a/b",
    "a@b/c",
    "p%40ss",
    "x?y@z",
    "x#y@z",
    "123/ss",
    "@:/%40",
  ];
  for (const pw of passwords) {
    for (const [scheme, host] of [
      ["mqtts://", "broker.example:8883"],
      ["mqtt://", "10.0.0.2:1883"],
      ["", "broker.example:8883"],
    ] as const) {
      it(`hides ${JSON.stringify(pw)} in ${scheme || "(no scheme) "}user:…@${host}`, () => {
        const shown = safeUrl(`${scheme}hearth-user:${pw}@${host}`);
        expect(shown).toBe(`${scheme}${host}`);
        expect(shown).not.toContain("hearth-user");
        expect(shown).not.toContain("@");
      });
    }
  }

  it("hides a user name without a password, and leaves URLs without user info as they are", () => {
    expect(safeUrl("mqtt://someone@host:1883")).toBe("mqtt://host:1883");
    expect(safeUrl("mqtts://broker.example:8883")).toBe("mqtts://broker.example:8883");
    expect(safeUrl("mqtt://[::1]:1883")).toBe("mqtt://[::1]:1883");
    expect(safeUrl("")).toBe("");
  });
});

describe("MQTT 5 maximum packet size", () => {
  it("is announced in the v5 CONNECT properties, with the session expiry kept", () => {
    const o = clientOptions(broker("mqtt://127.0.0.1:1883", "5"), params);
    expect(o.properties?.maximumPacketSize).toBeTypeOf("number");
    expect(o.properties?.maximumPacketSize).toBe(MAX_PACKET_BYTES);
    expect(o.properties?.sessionExpiryInterval).toBe(86_400);
  });

  it("is not in the v3.1.1 options, which have no properties at all", () => {
    const o = clientOptions(broker("mqtt://127.0.0.1:1883", "3.1.1"), params);
    expect(o.protocolVersion).toBe(4);
    expect(o.properties).toBeUndefined();
  });

  it("leaves ample room above the largest valid command (the only thing the gateway receives)", () => {
    const biggest = JSON.stringify({
      v: 1,
      id: "c".repeat(64),
      ts: "2026-03-01T07:59:00.000+00:00",
      expires: "2026-03-01T08:09:00.000+00:00",
      body: { alert: "a".repeat(64), by: "b".repeat(200), note: "n".repeat(1000) },
    });
    const topic = `hearth/v1/${"h".repeat(64)}/cmd/resend`;
    // Fixed header, topic, packet id and a generous allowance for properties.
    expect(Buffer.byteLength(biggest) * 4 + topic.length + 1024).toBeLessThan(MAX_PACKET_BYTES);
  });
});
