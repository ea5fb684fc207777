import { describe, expect, it } from "vitest";
import { alertBody, envelope } from "../../src/contract/messages.js";
import { staleSchemas } from "../../src/schemas.js";

describe("published JSON Schemas", () => {
  it("are exactly what the code generates (run `npm run schemas` after changing a schema)", () => {
    expect(staleSchemas()).toEqual([]);
  });
});

describe("envelope", () => {
  const base = {
    v: 1,
    id: "0f0e0d0c-0000-4000-8000-000000000001",
    home: "home-1",
    seq: 7,
    lane_seq: 3,
    ts: "2026-03-01T07:12:00.000+08:00",
    clock: "synced",
  };
  it("accepts a well-formed alert", () => {
    const r = envelope.safeParse({
      ...base,
      type: "alert",
      body: { alert: "a1b2c3d4-0000", kind: "call", state: "raised", device: "button-1", evidence: {} },
    });
    expect(r.success).toBe(true);
  });
  it("accepts an alert kind added later (a receiver treats it as an alert needing attention); the gateway writes only known kinds", () => {
    const later = { alert: "a1b2c3d4-0000", kind: "fire", state: "raised", evidence: {} };
    expect(envelope.safeParse({ ...base, type: "alert", body: later }).success).toBe(true);
    expect(alertBody.safeParse(later).success).toBe(false);
    for (const kind of ["Fire", "fire!", "", "a".repeat(33)])
      expect(envelope.safeParse({ ...base, type: "alert", body: { ...later, kind } }).success).toBe(false);
  });

  it("refuses a ts without offset and a body of another type", () => {
    expect(
      envelope.safeParse({ ...base, ts: "2026-03-01T07:12:00", type: "event", body: { event: "button" } })
        .success,
    ).toBe(false);
    expect(
      envelope.safeParse({
        ...base,
        type: "event",
        body: { alert: "x", kind: "call", state: "raised", evidence: {} },
      }).success,
    ).toBe(false);
  });
});
