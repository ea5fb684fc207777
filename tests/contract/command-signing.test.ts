import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  signCommand,
  signedBytes,
  verifyCommand,
} from "../../src/contract/command-signing.js";
import { parsePublicKey } from "../../src/core/ed25519-keys.js";
import {
  OTHER_KEY,
  TEST_CLOUD_KEY,
  TEST_CLOUD_PUBLIC_KEY,
  TEST_CLOUD_PUBLIC_PEM,
} from "../helpers/commands.js";

const keys = [parsePublicKey(TEST_CLOUD_PUBLIC_KEY)];
const topic = "hearth/v1/home-0001/cmd/ack";

describe("RFC 8785 canonical JSON", () => {
  it("matches the RFC's examples of key order and number form", () => {
    // RFC 8785 §3.2.3: keys sorted by UTF-16 code units, not by code point (U+FB33 after U+1F600).
    const sorted = canonicalJson({
      "\u20ac": 1,
      "\r": 2,
      "\ufb33": 3,
      "1": 4,
      "\ud83d\ude00": 5,
      "\u0080": 6,
      "\u00f6": 7,
    });
    expect(sorted).toBe('{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":3}');
    // §3.2.2.3: numbers as ECMAScript writes them.
    expect(canonicalJson([1e21, 1e-7, -0, 333333333.3333333, 0.000001])).toBe(
      "[1e+21,1e-7,0,333333333.3333333,0.000001]",
    );
    expect(canonicalJson({ b: [true, null, { d: 1, c: "x" }], a: "\u001f" })).toBe(
      '{"a":"\\u001f","b":[true,null,{"c":"x","d":1}]}',
    );
  });

  it("does not depend on key order, and parses back to the same value", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (v) => {
        const text = canonicalJson(v);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
        const reversed = JSON.parse(JSON.stringify(v), (_k, x: unknown) =>
          x && typeof x === "object" && !Array.isArray(x)
            ? Object.fromEntries(Object.entries(x).reverse())
            : x,
        );
        expect(canonicalJson(reversed)).toBe(text);
      }),
    );
  });
});

describe("signed commands", () => {
  const cmd = {
    v: 1,
    id: "c-7f3e0001",
    ts: "2026-03-01T08:00:00Z",
    expires: "2026-03-01T08:05:00Z",
    body: { alert: "9d2c0000-0000", kind: "call", by: "care-centre" },
  };

  it("verifies what it signed, with the PEM or the raw key, and covers topic and every field", () => {
    const signed = signCommand(topic, cmd, TEST_CLOUD_KEY);
    expect(signedBytes(topic, signed).toString()).toBe(
      `${topic}\n{"body":{"alert":"9d2c0000-0000","by":"care-centre","kind":"call"},"expires":"2026-03-01T08:05:00Z","id":"c-7f3e0001","ts":"2026-03-01T08:00:00Z","v":1}`,
    );
    expect(verifyCommand(topic, signed, keys)).toBe(true);
    expect(verifyCommand(topic, signed, [parsePublicKey(TEST_CLOUD_PUBLIC_PEM)])).toBe(true);
    expect(verifyCommand("hearth/v1/home-0002/cmd/ack", signed, keys)).toBe(false);
    expect(verifyCommand(topic, { ...signed, expires: "2026-03-01T09:05:00Z" }, keys)).toBe(false);
    expect(verifyCommand(topic, { ...signed, body: { ...cmd.body, kind: "inactivity" } }, keys)).toBe(false);
    expect(verifyCommand(topic, signCommand(topic, cmd, OTHER_KEY), keys)).toBe(false);
    expect(verifyCommand(topic, cmd, keys)).toBe(false);
  });

  it("never verifies a changed byte of the signature, and never throws on a junk one", () => {
    const signed = signCommand(topic, cmd, TEST_CLOUD_KEY);
    fc.assert(
      fc.property(fc.string(), (sig) => {
        expect(verifyCommand(topic, { ...signed, sig }, keys)).toBe(sig === signed.sig);
      }),
    );
    fc.assert(
      fc.property(
        fc.nat(85),
        fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        (i, c) => {
          const sig = signed.sig.slice(0, i) + c + signed.sig.slice(i + 1);
          fc.pre(sig !== signed.sig);
          // The last character holds 2 padding bits: changing only those decodes to the same bytes.
          const same = Buffer.from(sig, "base64url").equals(Buffer.from(signed.sig, "base64url"));
          expect(verifyCommand(topic, { ...signed, sig }, keys)).toBe(same);
        },
      ),
    );
  });

  it("reads keys as PEM or 32 raw bytes in base64 or base64url, and refuses others without echoing them", () => {
    const raw = Buffer.from(TEST_CLOUD_PUBLIC_KEY, "base64");
    expect(() => parsePublicKey(raw.toString("base64url"))).not.toThrow();
    for (const bad of [
      "",
      "abc",
      raw.subarray(1).toString("base64"),
      `${TEST_CLOUD_PUBLIC_KEY}xx`,
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    ]) {
      let message = "";
      try {
        parsePublicKey(bad);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, bad).toMatch(/Ed25519/);
      if (bad.length > 8) expect(message).not.toContain(bad);
    }
  });
});

describe("canonical JSON of hostile input", () => {
  it("refuses nesting deeper than any command with a typed error, not a stack overflow", () => {
    const deep = JSON.parse(`${"[".repeat(20_000)}${"]".repeat(20_000)}`) as unknown;
    expect(() => canonicalJson(deep)).toThrow(/nested deeper/);
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow(/Infinity/);
  });
});
