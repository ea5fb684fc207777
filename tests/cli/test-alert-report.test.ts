import { describe, expect, it } from "vitest";
import { testAlertProgress } from "../../src/agent/test-alert.js";
import { report } from "../../src/cli/test-alert.js";
import type { StoredMessage } from "../../src/contract/stored.js";

const up = { connected: true, attempts: 0, inFlight: 0, published: 3, broker: "mqtt://b:1883/" };

describe("hearth test-alert: how far the alert got, and where the chain broke", () => {
  it("reads the outbox: stored, taken by the broker (delivered), acknowledged", () => {
    const delivered = new Set<number>();
    const unrouted = new Map<number, string>();
    const parts = {
      pipeline: { raiseTest: () => ({ alert: "a1" }) },
      outbox: {
        alertState: (a: string) =>
          a === "a1" ? { kind: "test" as const, state: "raised" as const, raisedSeq: 7 } : undefined,
        deliveredRange: (from: number) => (delivered.has(from) ? [{ seq: from } as StoredMessage] : []),
      },
      uplink: { state: () => up, noSubscribers: (seq: number) => unrouted.get(seq) },
    };
    expect(testAlertProgress(parts, "a1")).toMatchObject({ stored: true, published: false, state: "raised" });
    delivered.add(7);
    expect(testAlertProgress(parts, "a1")).toMatchObject({ stored: true, published: true });
    expect(testAlertProgress(parts, "a1").noSubscribers).toBeUndefined();
    // The broker's PUBACK for the alert's message (seq 7) said no subscription matches its topic.
    unrouted.set(7, "hearth/v1/h/alert");
    expect(testAlertProgress(parts, "a1")).toMatchObject({
      published: true,
      noSubscribers: "hearth/v1/h/alert",
    });
    expect(testAlertProgress(parts, "nope")).toMatchObject({ stored: false, published: false });
    expect(() => testAlertProgress(parts, "")).toThrow(/needs "alert"/);
  });

  it("refuses to report on an alert that is not a test alert", () => {
    const parts = {
      pipeline: { raiseTest: () => ({ alert: "a1" }) },
      outbox: {
        alertState: () => ({ kind: "call" as const, state: "raised" as const, raisedSeq: 1 }),
        deliveredRange: () => [],
      },
      uplink: { state: () => up, noSubscribers: () => undefined },
    };
    expect(() => testAlertProgress(parts, "c1")).toThrow(/is a call, not a test alert/);
  });

  it("names the first hop that did not answer", () => {
    const base = { alert: "a1", uplink: up };
    expect(report({ ...base, state: "acknowledged", stored: true, published: true }, 150, 30_000)).toEqual({
      ok: true,
      alert: "a1",
      uplink: up,
      hops: { control: "ok", outbox: "ok", broker: "ok", acknowledged: "ok" },
      round_trip_ms: 150,
    });
    expect(report({ ...base, state: undefined, stored: false, published: false }, 1, 1000).broken?.hop).toBe(
      "outbox",
    );
    const noPuback = report({ ...base, state: "raised", stored: true, published: false }, 1, 1000);
    expect(noPuback.hops.broker).toBe("timeout");
    expect(noPuback.broken?.reason).toMatch(/connected to mqtt:\/\/b:1883\/, but the broker did not take/);
    const down = report(
      {
        ...base,
        uplink: { connected: false, attempts: 4, broker: "mqtt://b:1883/", lastError: "ECONNREFUSED" },
        state: "raised",
        stored: true,
        published: false,
      },
      1,
      1000,
    );
    expect(down.broken?.reason).toMatch(
      /^no broker connection \(trying mqtt:\/\/b:1883\/, 4 attempts: ECONNREFUSED\)/,
    );
    const noAck = report({ ...base, state: "raised", stored: true, published: true }, 1, 30_000);
    expect(noAck.hops).toEqual({ control: "ok", outbox: "ok", broker: "ok", acknowledged: "timeout" });
    expect(noAck.broken?.reason).toMatch(/within 30 s: the receiver is stopped/);
    const nobody = report(
      { ...base, state: "raised", stored: true, published: true, noSubscribers: "hearth/v1/h/alert" },
      1,
      30_000,
    );
    expect(nobody.hops).toEqual({
      control: "ok",
      outbox: "ok",
      broker: "ok",
      acknowledged: "no_subscribers",
    });
    expect(nobody.broken).toMatchObject({ hop: "acknowledged" });
    expect(nobody.broken?.reason).toMatch(
      /^nobody subscribed: the broker said no subscription matches hearth\/v1\/h\/alert/,
    );
  });
});
