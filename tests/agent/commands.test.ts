import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CommandHandlers, createCommandDispatcher } from "../../src/agent/commands.js";
import { replyBody } from "../../src/contract/messages.js";
import { VirtualClock } from "../../src/core/clock.js";
import { parsePublicKey } from "../../src/core/ed25519-keys.js";
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/log.js";
import { TEST_CLOUD_PUBLIC_KEY, testCommandPayload } from "../helpers/commands.js";

const now = Date.parse("2026-03-01T08:00:00Z");
const handlers: CommandHandlers = {
  ack: (b) => {
    if (b.alert === "gone-alert-id")
      throw new HearthError("alert gone-alert-id is not open", ErrorCode.CommandFailed);
    return { alert: b.alert, state: "acknowledged" };
  },
  ping: () => ({ pong: true }),
  watch: (b) => ({ level: b.level }),
  resend: () => {
    throw new Error("disk on fire");
  },
};
const dispatch = createCommandDispatcher({
  home: "h1",
  handlers,
  clock: new VirtualClock({ wallStartMs: now }),
  log: silentLogger(),
  security: { keys: [parsePublicKey(TEST_CLOUD_PUBLIC_KEY)], insecure: false },
});
let serial = 0;
/** A signed command for `name` to home h1, sent a minute before `now`, with a fresh id unless `extra` sets one. */
const cmd = (name: string, body: unknown, extra: Record<string, unknown> = {}) =>
  testCommandPayload("h1", name, body, {
    id: `cmd-${String(++serial).padStart(8, "0")}`,
    nowMs: now - 60_000,
    extra,
  });

describe("command dispatcher", () => {
  it("answers ok with the handler's data, echoing the command id", async () => {
    expect(await dispatch("ping", cmd("ping", {}))).toEqual({
      command_id: "cmd-00000001",
      command: "ping",
      status: "ok",
      data: { pong: true },
    });
    expect(
      await dispatch("ack", cmd("ack", { alert: "alert-000001", kind: "call", by: "carer" })),
    ).toMatchObject({
      status: "ok",
      data: { state: "acknowledged" },
    });
  });

  it("refuses what is not JSON, a bad envelope, a bad body, an unknown command, an expired one", async () => {
    const notJson = await dispatch("ack", Buffer.from("{nope"));
    expect(notJson).toMatchObject({ command_id: "unknown", status: "error", error: { code: "invalid" } });
    const badEnvelope = await dispatch(
      "ping",
      Buffer.from(JSON.stringify({ v: 2, id: "cmd-00000002", ts: "x", body: {} })),
    );
    expect(badEnvelope).toMatchObject({
      command_id: "cmd-00000002",
      status: "error",
      error: { code: "invalid" },
    });
    const badBody = await dispatch("ack", cmd("ack", { alert: 42 }));
    expect(badBody).toMatchObject({ status: "error", error: { code: "invalid" } });
    expect(badBody.status === "error" && badBody.error.message).toMatch(/alert/);
    expect(await dispatch("reboot", cmd("reboot", {}))).toMatchObject({
      status: "error",
      error: { code: "unknown_command" },
    });
    const expired = await dispatch("ping", cmd("ping", {}, { expires: "2026-03-01T07:59:30Z" }));
    expect(expired).toMatchObject({ status: "error", error: { code: "expired" } });
    expect(await dispatch("ping", cmd("ping", {}, { expires: "2026-03-01T08:05:00Z" }))).toMatchObject({
      status: "ok",
    });
  });

  it("turns a handler's failure into an error reply, never a throw", async () => {
    expect(await dispatch("ack", cmd("ack", { alert: "gone-alert-id", kind: "call" }))).toMatchObject({
      status: "error",
      error: { code: "failed", message: "alert gone-alert-id is not open" },
    });
    expect(await dispatch("resend", cmd("resend", { from_seq: 1 }))).toMatchObject({
      status: "error",
      error: { code: "internal", message: "disk on fire" },
    });
  });
});

describe("command dispatcher: names and ids from the wire", () => {
  it("refuses names inherited from Object.prototype as unknown commands", async () => {
    for (const name of [
      "toString",
      "constructor",
      "__proto__",
      "hasOwnProperty",
      "valueOf",
      "isPrototypeOf",
    ]) {
      expect(await dispatch(name, cmd(name, {})), name).toMatchObject({
        command_id: expect.stringMatching(/^cmd-\d{8}$/),
        command: name,
        status: "error",
        error: { code: "unknown_command" },
      });
    }
  });

  it("never echoes an id longer than the contract's 64 characters", async () => {
    const reply = await dispatch("ping", cmd("ping", {}, { id: "x".repeat(100_000) }));
    expect(reply).toMatchObject({ command_id: "invalid", status: "error", error: { code: "invalid" } });
    expect(JSON.stringify(reply).length).toBeLessThan(1000);
  });

  it("refuses an id with control or non-ASCII characters, and does not echo it", async () => {
    for (const id of ["cmd-0001\n\u001b[2J", "cmd-\u0000-00001", "cmd-\u007f-00001", "cmd-ü-000001"]) {
      const reply = await dispatch("ping", cmd("ping", {}, { id }));
      expect(reply, JSON.stringify(id)).toMatchObject({
        command_id: "invalid",
        status: "error",
        error: { code: "invalid" },
      });
      expect(reply.status === "error" && reply.error.message).toMatch(/id/);
    }
  });
});

describe("command dispatcher: whatever arrives", () => {
  it("answers every name and payload with a reply, never a throw, and runs nothing unsigned", async () => {
    const ran: string[] = [];
    const spy = createCommandDispatcher({
      home: "h1",
      handlers: {
        ack: () => ran.push("ack") && {},
        ping: () => ran.push("ping") && {},
        watch: () => ran.push("watch") && {},
        resend: () => ran.push("resend") && {},
      },
      clock: new VirtualClock({ wallStartMs: now }),
      log: silentLogger(),
      security: { keys: [parsePublicKey(TEST_CLOUD_PUBLIC_KEY)], insecure: false },
    });
    const payloads = fc.oneof(
      fc.string().map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      fc.jsonValue({ maxDepth: 10 }).map((v) => Buffer.from(JSON.stringify(v))),
      fc
        .record({
          v: fc.constant(1),
          id: fc.string(),
          ts: fc.string(),
          expires: fc.string(),
          body: fc.object(),
        })
        .map((v) => Buffer.from(JSON.stringify(v))),
    );
    const names = fc.oneof(
      fc.constantFrom("ack", "ping", "watch", "resend", "__proto__", "constructor"),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(names, payloads, async (name, payload) => {
        const reply = await spy(name, payload);
        expect(reply.status).toBe("error");
        expect(replyBody.safeParse(reply).success).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(ran).toEqual([]);
  });
});
