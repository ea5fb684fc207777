import { describe, expect, it } from "vitest";
import { checkedBody, checkedEnvelope } from "../../src/contract/checked.js";
import { buildEnvelope, restampEnvelope } from "../../src/contract/envelope.js";
import { ENVELOPE_SCHEMAS, type ReplyBody } from "../../src/contract/messages.js";
import { LANE_OF, LANES } from "../../src/contract/stored.js";
import { createStamper } from "../../src/contract/timestamps.js";
import { ErrorCode, HearthError, isHearthError } from "../../src/core/errors.js";
import { HOUR_MS } from "../../src/core/time.js";

const header = {
  id: "msg-00000001",
  home: "home-1",
  seq: 7,
  ts: "2026-03-01T07:12:00.000+08:00",
  synced: false,
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("the envelope builder", () => {
  it("builds the contract's envelope, fields in the published order, the clock flag from `synced`", () => {
    const env = buildEnvelope("event", { event: "button", data: {} }, { ...header, laneSeq: 3 });
    expect(Object.keys(env)).toEqual(["v", "id", "home", "seq", "lane_seq", "ts", "clock", "type", "body"]);
    expect(env).toMatchObject({ v: 1, id: "msg-00000001", seq: 7, lane_seq: 3, clock: "unsynced" });
    expect(buildEnvelope("event", { event: "button", data: {} }, { ...header, synced: true }).clock).toBe(
      "synced",
    );
    expect(ENVELOPE_SCHEMAS.event.safeParse(env).success).toBe(true);
  });

  it("requires lane_seq on stored types and refuses it on status and reply", () => {
    const event = buildEnvelope("event", { event: "button", data: {} }, header);
    expect(event).not.toHaveProperty("lane_seq");
    expect(ENVELOPE_SCHEMAS.event.safeParse(event).success).toBe(false);
    const status = { state: "online", version: "1", session: 1 } as const;
    expect(ENVELOPE_SCHEMAS.status.safeParse(buildEnvelope("status", status, header)).success).toBe(true);
    expect(
      ENVELOPE_SCHEMAS.status.safeParse(buildEnvelope("status", status, { ...header, laneSeq: 1 })).success,
    ).toBe(false);
  });

  it("keeps lane_seq through a restamp", () => {
    const env = buildEnvelope("event", { event: "button", data: {} }, { ...header, laneSeq: 9 });
    const again = restampEnvelope(env, 0, (ms) => ms, createStamper("Asia/Shanghai"));
    expect(again.lane_seq).toBe(9);
    expect(again.seq).toBe(7);
  });

  it("checks a whole envelope: defaults filled in, a broken one refused as Internal with its issues", () => {
    const ok = checkedEnvelope(
      "reply",
      { command_id: "c1", command: "ping", status: "ok" } as ReplyBody,
      header,
    );
    expect(ok.body).toEqual({ command_id: "c1", command: "ping", status: "ok", data: {} });
    const e = thrown(() =>
      checkedEnvelope("status", { state: "online", version: "1", session: 1 }, { ...header, seq: -1 }),
    );
    expect(isHearthError(e, ErrorCode.Internal)).toBe(true);
    expect((e as HearthError).context.issues).toEqual([expect.stringMatching(/^seq: /)]);
  });

  it("checks a stored body, refusing a broken one as Internal", () => {
    expect(checkedBody("event", { event: "button" })).toEqual({ event: "button", data: {} });
    const e = thrown(() =>
      checkedBody("alert", { alert: "short", kind: "call", state: "raised", evidence: {} }),
    );
    expect(e).toBeInstanceOf(HearthError);
    expect((e as HearthError).code).toBe(ErrorCode.Internal);
    expect((e as HearthError).context.type).toBe("alert");
  });

  it("re-stamps a stored envelope: ts, clock and body times corrected, id and seq kept", () => {
    const fmt = createStamper("Asia/Shanghai");
    const env = buildEnvelope(
      "event",
      { event: "watch_level", data: { at: fmt(0), until: "2026-06-03T18:00:00.000+08:00" } },
      { ...header, ts: fmt(0) },
    );
    const shift = (ms: number) => ms + HOUR_MS;
    const again = restampEnvelope(env, shift(0), shift, fmt);
    expect(again).toEqual({
      ...env,
      ts: "1970-01-01T09:00:00.000+08:00",
      clock: "synced",
      body: {
        event: "watch_level",
        data: { at: "1970-01-01T09:00:00.000+08:00", until: env.body.data.until },
      },
    });
    expect(env.clock).toBe("unsynced");
  });

  it("drains lanes alerts first, summaries with events", () => {
    expect(LANES).toEqual(["alert", "event", "telemetry"]);
    expect(LANE_OF).toEqual({ alert: "alert", event: "event", summary: "event", telemetry: "telemetry" });
  });
});
