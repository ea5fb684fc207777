import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCommandDispatcher } from "../../src/agent/commands.js";
import { VirtualClock } from "../../src/core/clock.js";
import { parsePublicKey } from "../../src/core/ed25519-keys.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { WEEK_MS } from "../../src/core/time.js";
import { MAX_RESEND, SqliteOutbox } from "../../src/outbox/index.js";
import { persistedSessions, SESSION_KEY, SessionNumbers } from "../../src/uplink/session.js";
import { TEST_CLOUD_PUBLIC_KEY, testCommandPayload } from "../helpers/commands.js";
import { captureLog } from "../helpers/log-capture.js";
import { eventBody } from "../outbox/fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-session-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function outboxAt(path: string, clock: VirtualClock): SqliteOutbox {
  const o = new SqliteOutbox({
    path,
    home: "home-1",
    timeZone: "Asia/Shanghai",
    clock,
    ids: new SeededIds(path),
    maxSizeBytes: 64 * 1024 * 1024,
    retentionMs: WEEK_MS,
    telemetryBatch: 10,
    telemetryFlushMs: 1000,
    log: silentLogger(),
  });
  o.open();
  return o;
}

describe("connection session numbers", () => {
  it("go on from the outbox's kv across a restart, never back", () => {
    const clock = new VirtualClock();
    const path = join(dir, "sessions.db");
    const first = outboxAt(path, clock);
    const a = new SessionNumbers(persistedSessions(first.kv), silentLogger());
    expect([a.next(), a.next(), a.next()]).toEqual([1, 2, 3]);
    first.close();
    const second = outboxAt(path, clock);
    const b = new SessionNumbers(persistedSessions(second.kv), silentLogger());
    expect(b.next()).toBe(4);
    expect(second.kv.get(SESSION_KEY)).toBe("4");
    second.close();
  });

  it("go on from memory, saying so, when the store fails", () => {
    const { log, lines } = captureLog();
    let broken = false;
    const kv = new Map<string, string>();
    const store = {
      get: (k: string) => kv.get(k),
      set: (k: string, v: string) => {
        if (broken) throw new Error("database or disk is full");
        kv.set(k, v);
      },
    };
    const s = new SessionNumbers(persistedSessions(store), log);
    expect([s.next(), s.next()]).toEqual([1, 2]);
    broken = true;
    expect([s.next(), s.next()]).toEqual([3, 4]);
    expect(
      lines.filter((l) => String(l.msg).startsWith("Cannot persist the connection session")),
    ).toHaveLength(2);
    broken = false;
    expect(s.next()).toBe(5);
    // A stored value that is not a count starts over from memory, not from NaN.
    kv.set(SESSION_KEY, "garbage");
    expect(s.next()).toBe(6);
  });
});

describe("the resend command as the agent wires it", () => {
  it("answers how many and where to continue, and 'busy' while an earlier resend is pending", async () => {
    const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 2, 1, 8) });
    const outbox = outboxAt(":memory:", clock);
    const sent = Array.from({ length: MAX_RESEND + 5 }, (_, i) => outbox.putEvent(eventBody(i)));
    outbox.markDelivered(sent.map((e) => e.seq));
    const dispatch = createCommandDispatcher({
      home: "h1",
      handlers: {
        ack: () => ({}),
        ping: () => ({}),
        watch: () => ({}),
        resend: (body) => ({ ...outbox.resend(body.from_seq, body.to_seq, MAX_RESEND) }),
      },
      clock,
      log: silentLogger(),
      security: { keys: [parsePublicKey(TEST_CLOUD_PUBLIC_KEY)], insecure: false },
    });
    const cmd = (id: string, from: number) =>
      testCommandPayload("h1", "resend", { from_seq: from }, { id, nowMs: clock.wallMs() });
    const first = await dispatch("resend", cmd("cmd-resend-1", 0));
    expect(first).toEqual({
      command_id: "cmd-resend-1",
      command: "resend",
      status: "ok",
      data: { requeued: MAX_RESEND, through_seq: MAX_RESEND, next_from_seq: MAX_RESEND + 1 },
    });
    const second = await dispatch("resend", cmd("cmd-resend-2", MAX_RESEND + 1));
    expect(second).toMatchObject({ status: "error", error: { code: "busy" } });
    outbox.markDelivered(outbox.pending(MAX_RESEND).map((m) => m.seq));
    const third = await dispatch("resend", cmd("cmd-resend-3", MAX_RESEND + 1));
    expect(third).toMatchObject({ status: "ok", data: { requeued: 5, next_from_seq: null } });
    outbox.close();
  });
});
