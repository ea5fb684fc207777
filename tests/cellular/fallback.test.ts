import { describe, expect, it } from "vitest";
import { SmsFallback, type SmsRecord } from "../../src/cellular/fallback.js";
import type { AlertBody, Envelope } from "../../src/contract/messages.js";
import type { StoredMessage } from "../../src/contract/stored.js";
import { VirtualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/log.js";

const AFTER = 2_000;
const START = Date.parse("2026-12-07T06:00:00Z");

/** The fallback with a virtual clock and a fake modem; what it sends and records is kept in arrays. */
function rig(o: { commissioning?: boolean; failFor?: Set<string> } = {}) {
  const clock = new VirtualClock({ wallStartMs: START });
  const sends: { to: string; text: string }[] = [];
  const annotated: { seq: number; record: SmsRecord }[] = [];
  const late: { alert: string; record: SmsRecord }[] = [];
  const queued = new Set<number>();
  const fb = new SmsFallback({
    numbers: ["+111", "+222"],
    afterMs: AFTER,
    clock,
    timeZone: "Asia/Shanghai",
    send: (to, text) => {
      if (o.failFor?.has(to)) return Promise.reject(new Error("no network"));
      sends.push({ to, text });
      return Promise.resolve(`/sms/${sends.length}`);
    },
    text: (a) => `${a.kind} ${a.alert}`,
    commissioning: () => o.commissioning ?? false,
    annotate: (seq, record) => {
      if (!queued.has(seq)) return false;
      annotated.push({ seq, record });
      return true;
    },
    late: (alert, record) => late.push({ alert: alert.alert, record }),
    log: silentLogger(),
  });
  let seq = 0;
  const write = (
    kind: AlertBody["kind"],
    state: AlertBody["state"] = "raised",
    alert = `alert-${kind}-1`,
  ) => {
    seq++;
    queued.add(seq);
    const env = {
      seq,
      body: { alert, kind, state, since: "2026-12-07T14:00:00+08:00", evidence: {} },
    } as unknown as Envelope<"alert">;
    fb.written(env);
    return seq;
  };
  /** Moves time on and lets the async sends finish. */
  const pass = async (ms: number) => {
    clock.advanceBy(ms);
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  const deliver = (s: number) => {
    queued.delete(s);
    fb.delivered([s]);
  };
  return { fb, clock, sends, annotated, late, write, pass, deliver, queued };
}

describe("SmsFallback", () => {
  it("a call not acknowledged in time: one SMS per number, once, and the record added to the queued alert", async () => {
    const r = rig();
    const seq = r.write("call");
    await r.pass(AFTER - 1);
    expect(r.sends).toEqual([]);
    await r.pass(1);
    expect(r.sends.map((s) => s.to)).toEqual(["+111", "+222"]);
    expect(r.sends[0]?.text).toBe("call alert-call-1");
    expect(r.annotated).toHaveLength(1);
    expect(r.annotated[0]?.seq).toBe(seq);
    expect(r.annotated[0]?.record.sent.map((s) => s.to)).toEqual(["+111", "+222"]);
    expect(r.annotated[0]?.record.sent[0]?.at).toBe("2026-12-07T14:00:02.000+08:00");
    expect(r.annotated[0]?.record.failed).toEqual([]);
    await r.pass(10 * AFTER);
    expect(r.sends).toHaveLength(2);
    expect(r.fb.waiting()).toEqual([]);
  });

  it("a fall too; the same written twice (a republication) is watched once", async () => {
    const r = rig();
    const seq = r.write("fall");
    r.fb.written({
      seq,
      body: { alert: "alert-fall-1", kind: "fall", state: "raised", evidence: {} },
    } as never);
    await r.pass(AFTER);
    expect(r.sends.map((s) => s.text)).toEqual(["fall alert-fall-1", "fall alert-fall-1"]);
  });

  it("acknowledged by the broker in time: no SMS", async () => {
    const r = rig();
    const seq = r.write("call");
    await r.pass(AFTER / 2);
    r.deliver(seq);
    await r.pass(AFTER * 3);
    expect(r.sends).toEqual([]);
    expect(r.annotated).toEqual([]);
  });

  it("never for test alerts, other kinds or later states", async () => {
    const r = rig();
    r.write("test");
    r.write("inactivity");
    r.write("leak");
    r.write("call", "escalated", "alert-x");
    await r.pass(AFTER * 3);
    expect(r.sends).toEqual([]);
  });

  it("a press during commissioning sends no SMS; a fall then still does", async () => {
    const r = rig({ commissioning: true });
    r.write("call");
    r.write("fall");
    await r.pass(AFTER);
    expect(r.sends.map((s) => s.text)).toEqual(["fall alert-fall-1", "fall alert-fall-1"]);
  });

  it("a number that failed is tried again later, never one already sent to", async () => {
    const fail = new Set(["+222"]);
    const r = rig({ failFor: fail });
    r.write("call");
    await r.pass(AFTER);
    expect(r.sends.map((s) => s.to)).toEqual(["+111"]);
    expect(r.annotated[0]?.record.failed.map((f) => f.to)).toEqual(["+222"]);
    fail.clear();
    await r.pass(AFTER);
    expect(r.sends.map((s) => s.to)).toEqual(["+111", "+222"]);
    expect(r.annotated.at(-1)?.record.sent.map((s) => s.to)).toEqual(["+111", "+222"]);
    expect(r.annotated.at(-1)?.record.failed).toEqual([]);
  });

  it("delivered while the SMS was on its way: the record goes as `late` (an event), not into the message", async () => {
    const r = rig();
    const seq = r.write("call");
    r.queued.delete(seq);
    await r.pass(AFTER);
    expect(r.sends).toHaveLength(2);
    expect(r.annotated).toEqual([]);
    expect(r.late.map((l) => l.alert)).toEqual(["alert-call-1"]);
  });

  it("after a restart: an undelivered raised call without a record waits only for the rest of its time; one with a record, or delivered, is left", async () => {
    const r = rig();
    const msg = (seq: number, alert: string, delivered: boolean, evidence: Record<string, unknown>) =>
      ({
        seq,
        id: `id-${seq}`,
        lane: "alert",
        type: "alert",
        delivered,
        envelope: {
          seq,
          body: {
            alert,
            kind: "call",
            state: "raised",
            since: new Date(START - 1500).toISOString(),
            evidence,
          },
        },
      }) as unknown as StoredMessage;
    r.queued.add(11);
    r.fb.restore([
      msg(11, "waiting", false, {}),
      msg(12, "already-sent", false, { sms: { sent: [], failed: [] } }),
      msg(13, "delivered", true, {}),
    ]);
    expect(r.fb.waiting()).toEqual(["waiting"]);
    await r.pass(AFTER - 1500 - 1);
    expect(r.sends).toEqual([]);
    await r.pass(1);
    expect(r.sends.map((s) => s.text)).toEqual(["call waiting", "call waiting"]);
  });

  it("stopped: nothing more is sent", async () => {
    const r = rig();
    r.write("call");
    r.fb.stop();
    await r.pass(AFTER * 2);
    expect(r.sends).toEqual([]);
  });
});
