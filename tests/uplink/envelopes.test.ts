import { describe, expect, it } from "vitest";
import { ENVELOPE_SCHEMAS, type ReplyBody, type StatusBody } from "../../src/contract/messages.js";
import { VirtualClock } from "../../src/core/clock.js";
import { ErrorCode, isHearthError } from "../../src/core/errors.js";
import { SeededIds } from "../../src/core/ids.js";
import { stamp } from "../../src/uplink/envelopes.js";

/**
 * Status and reply envelopes as the uplink publishes them: checked in plain code (src/contract/shape.ts,
 * no zod in the agent), held here to the contract's zod schemas.
 */
const ctx = {
  home: "home-1",
  timeZone: "Asia/Shanghai",
  clock: new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1), synced: false }),
  ids: new SeededIds("envelopes"),
  lastSeq: () => 41,
};

const online: StatusBody = {
  state: "online",
  version: "1.2.3",
  session: 4,
  watch: "normal",
  health: {
    uptime_s: 10,
    rss_mb: 61.5,
    outbox: { alert: 0, event: 2, telemetry: 10 },
    devices: { "meter-1": "online" },
    open_alerts: 1,
    clock: "unsynced",
    replay_drained: false,
    lane_seq: { alert: 1, event: 5, telemetry: 30 },
    security: { commands: "refused", insecure_buttons: [] },
    storage: { state: "ok", memory_lane: 0, shed_telemetry: 0 },
  },
};

describe("stamp (uplink envelopes)", () => {
  it.each([
    ["status", online],
    ["status", { state: "offline", version: "1.2.3", reason: "connection lost", session: 4 }],
    ["reply", { command_id: "cmd-1", command: "ping", status: "ok", data: { pong: true } }],
    [
      "reply",
      { command_id: "cmd-1", command: "ack", status: "error", error: { code: "busy", message: "m" } },
    ],
  ] as const)("a %s the contract's zod schema parses exactly", (type, body) => {
    const env = stamp(ctx, type, body as StatusBody & ReplyBody);
    expect(env).toMatchObject({ v: 1, home: "home-1", seq: 41, clock: "unsynced", type });
    const parsed = ENVELOPE_SCHEMAS[type].safeParse(env);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(JSON.stringify(parsed.data)).toBe(JSON.stringify(env));
  });

  it("fills an ok reply's data as the schema's default does", () => {
    const env = stamp(ctx, "reply", { command_id: "c", command: "ping", status: "ok" } as ReplyBody);
    expect(env.body).toEqual({ command_id: "c", command: "ping", status: "ok", data: {} });
  });

  it("refuses a status that breaks the contract as Internal, naming the field", () => {
    let e: unknown;
    try {
      stamp(ctx, "status", { ...online, health: { rss_mb: Number.NaN } });
    } catch (err) {
      e = err;
    }
    expect(isHearthError(e, ErrorCode.Internal)).toBe(true);
    expect((e as { context: { issues: string[] } }).context.issues).toEqual([
      expect.stringMatching(/^health\.rss_mb: /),
    ]);
  });
});
