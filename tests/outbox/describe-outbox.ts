import { afterEach, describe, expect, it } from "vitest";
import { ENVELOPE_SCHEMAS } from "../../src/contract/messages.js";
import { VirtualClock } from "../../src/core/clock.js";
import { ErrorCode, isHearthError } from "../../src/core/errors.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import type { Outbox } from "../../src/outbox/types.js";
import { alertBody, alertId, eventBody, summaryBody, telemetryBody } from "./fixtures.js";

export interface BuildOptions {
  clock: VirtualClock;
  maxSizeBytes?: number;
  retentionMs?: number;
  telemetryBatch?: number;
  telemetryFlushMs?: number;
}

/** Builds an outbox for home "home-1" in Asia/Shanghai; the suite opens and closes it. */
export type BuildOutbox = (opts: BuildOptions) => Outbox;

/**
 * The contract every Outbox keeps (MQTT.js abstract_store style): run it against each implementation.
 */
export function describeOutbox(name: string, build: BuildOutbox): void {
  describe(`Outbox contract: ${name}`, () => {
    let open: Outbox[] = [];
    const make = (o: Partial<BuildOptions> = {}) => {
      const clock = o.clock ?? new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1, 0, 0, 0) });
      const outbox = build({ telemetryBatch: 10, telemetryFlushMs: 2000, ...o, clock });
      outbox.open();
      open.push(outbox);
      return { outbox, clock };
    };
    afterEach(() => {
      for (const o of open) o.close();
      open = [];
    });

    it("stamps envelopes at the write: contract-valid, seq from 1, offset of the home's zone, clock state", () => {
      const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1, 0, 0, 0), synced: false });
      const { outbox } = make({ clock });
      const a = outbox.putAlert(alertBody(alertId(1)));
      clock.setWall(Date.UTC(2026, 0, 1, 1, 0, 0), true);
      const e = outbox.putEvent(eventBody(1));
      const s = outbox.putSummary(summaryBody());
      expect(ENVELOPE_SCHEMAS.alert.parse(a)).toEqual(a);
      expect(ENVELOPE_SCHEMAS.event.parse(e)).toEqual(e);
      expect(ENVELOPE_SCHEMAS.summary.parse(s)).toEqual(s);
      expect([a.seq, e.seq, s.seq]).toEqual([1, 2, 3]);
      expect(outbox.lastSeq()).toBe(3);
      expect(a.home).toBe("home-1");
      expect(a.ts).toBe("2026-01-01T08:00:00.000+08:00");
      expect(a.clock).toBe("unsynced");
      expect(e.ts).toBe("2026-01-01T09:00:00.000+08:00");
      expect(e.clock).toBe("synced");
      expect(new Set([a.id, e.id, s.id]).size).toBe(3);
    });

    it("writes of every stored type exactly what the contract's zod schema parses, defaults filled in", () => {
      // The real outbox checks bodies in plain code (src/contract/shape.ts), not zod: this holds it to the schemas.
      const { outbox } = make({ telemetryBatch: 100 });
      const returned = [
        outbox.putAlert(alertBody(alertId(1))),
        outbox.putAlert({ ...alertBody(alertId(1), "cleared"), cause: "i_am_fine", by: "daughter" }),
        outbox.putEvent(eventBody(1)),
        outbox.putEvent({ event: "clock_synced" } as Parameters<Outbox["putEvent"]>[0]),
        outbox.putSummary(summaryBody()),
        outbox.putSummary({ ...summaryBody(), water_m3: 0.5, energy_kwh: 1.25 }),
      ];
      outbox.putTelemetry(telemetryBody(1));
      outbox.putTelemetry({
        device: "meter-2",
        at: "2026-01-01T08:00:03.000+08:00",
        values: [
          { channel: "voltage_v", value: 230.1, unit: "V" },
          { channel: "power_w", value: -0.5, unit: "W" },
        ],
      });
      outbox.flush();
      const stored = outbox.pending(100);
      expect(stored.map((m) => m.type).sort()).toEqual(
        ["alert", "alert", "event", "event", "summary", "summary", "telemetry", "telemetry"].sort(),
      );
      for (const env of [...returned, ...stored.map((m) => m.envelope)]) {
        const parsed = ENVELOPE_SCHEMAS[env.type].safeParse(env);
        expect(parsed.error?.issues ?? [], env.type).toEqual([]);
        // Nothing the schema would default, strip or reorder: the stored JSON is the message as it travels.
        expect(JSON.stringify(parsed.data)).toBe(JSON.stringify(env));
      }
      const clockSynced = stored.find((m) => m.type === "event" && m.envelope.seq === 4);
      expect(clockSynced?.envelope.body).toEqual({ event: "clock_synced", data: {} });
    });

    it("stamps contract-valid envelopes on a clock with fractional milliseconds", () => {
      const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
      clock.advanceBy(0.25);
      const { outbox } = make({ clock });
      const e = outbox.putEvent(eventBody(1));
      expect(e.ts).toBe("2026-01-01T08:00:00.000+08:00");
      expect(ENVELOPE_SCHEMAS.event.safeParse(e).success).toBe(true);
    });

    it("refuses a body that breaks the contract, loudly", () => {
      const { outbox } = make();
      const bad = { ...alertBody(alertId(1)), state: "lost" } as unknown as Parameters<Outbox["putAlert"]>[0];
      expect(() => outbox.putAlert(bad)).toThrow(/Invalid alert body/);
      expect(() => outbox.putTelemetry({ device: "m", at: "yesterday", values: [] })).toThrow();
      expect(outbox.lastSeq()).toBe(0);
      expect(outbox.pending(10)).toEqual([]);
    });

    it("lists pending by lane (alert, event, telemetry), then by seq, within the limit", () => {
      const { outbox } = make({ telemetryBatch: 1 });
      outbox.putTelemetry(telemetryBody(1)); // seq 1
      outbox.putEvent(eventBody(1)); // 2
      outbox.putAlert(alertBody(alertId(1))); // 3
      outbox.putSummary(summaryBody()); // 4
      outbox.putTelemetry(telemetryBody(2)); // 5
      outbox.putAlert(alertBody(alertId(2))); // 6
      outbox.putEvent(eventBody(2)); // 7
      const all = outbox.pending(100);
      expect(all.map((m) => [m.lane, m.seq])).toEqual([
        ["alert", 3],
        ["alert", 6],
        ["event", 2],
        ["event", 4],
        ["event", 7],
        ["telemetry", 1],
        ["telemetry", 5],
      ]);
      expect(all.map((m) => m.type)).toEqual([
        "alert",
        "alert",
        "event",
        "summary",
        "event",
        "telemetry",
        "telemetry",
      ]);
      for (const m of all) {
        expect(m.delivered).toBe(false);
        expect(m.envelope.seq).toBe(m.seq);
        expect(m.envelope.id).toBe(m.id);
      }
      expect(outbox.pending(3).map((m) => m.seq)).toEqual([3, 6, 2]);
      expect(outbox.depth()).toEqual({ alert: 2, event: 3, telemetry: 2 });
    });

    it("marks runs of seqs and single ones alike, in any order, repeats included, and nothing between", () => {
      const { outbox } = make();
      const seqs = Array.from({ length: 8 }, (_, i) => outbox.putEvent(eventBody(i)).seq);
      const at = (i: number) => seqs[i] as number;
      outbox.markDelivered([at(5), at(0), at(1), at(2), at(2), at(7), at(4)]);
      expect(outbox.pending(10).map((m) => m.seq)).toEqual([at(3), at(6)]);
      expect(outbox.deliveredRange(0).map((m) => m.seq)).toEqual([0, 1, 2, 4, 5, 7].map(at));
    });

    it("marks delivered only what it is told, and keeps delivered rows for resend", () => {
      const { outbox } = make();
      const e1 = outbox.putEvent(eventBody(1));
      const e2 = outbox.putEvent(eventBody(2));
      const e3 = outbox.putEvent(eventBody(3));
      outbox.markDelivered([e1.seq, e3.seq, 999]);
      expect(outbox.pending(10).map((m) => m.id)).toEqual([e2.id]);
      expect(outbox.depth().event).toBe(1);
      const range = outbox.deliveredRange(0);
      expect(range.map((m) => [m.seq, m.delivered])).toEqual([
        [e1.seq, true],
        [e3.seq, true],
      ]);
      expect(range[0]?.envelope).toEqual(e1);
      expect(outbox.deliveredRange(e3.seq, e3.seq).map((m) => m.id)).toEqual([e3.id]);
      expect(outbox.deliveredRange(e1.seq + 1, e2.seq)).toEqual([]);
    });

    it("requeues delivered rows for a resend: same envelopes, pending again, writers woken", () => {
      const { outbox } = make();
      const e1 = outbox.putEvent(eventBody(1));
      const e2 = outbox.putEvent(eventBody(2));
      const e3 = outbox.putEvent(eventBody(3));
      outbox.markDelivered([e1.seq, e2.seq]);
      let writes = 0;
      outbox.onWrite(() => writes++);
      const range = outbox.deliveredRange(e1.seq, e2.seq);
      expect(outbox.requeue([...range.map((m) => m.seq), e3.seq, 999])).toBe(2);
      expect(writes).toBe(1);
      // Resent rows drain after the fresh one, with their envelopes unchanged.
      expect(outbox.pending(10).map((m) => m.envelope)).toEqual([e3, e1, e2]);
      expect(outbox.deliveredRange(0)).toEqual([]);
      expect(outbox.requeue([])).toBe(0);
      expect(outbox.lastSeq()).toBe(e3.seq);
    });

    it("drains requeued rows after fresh messages of every lane (a new call is not queued behind a resend)", () => {
      const { outbox } = make({ telemetryBatch: 1 });
      const old = Array.from({ length: 200 }, (_, i) => outbox.putAlert(alertBody(alertId(100 + i))));
      outbox.markDelivered(old.map((e) => e.seq));
      expect(outbox.requeue(outbox.deliveredRange(0).map((m) => m.seq))).toBe(200);
      outbox.putTelemetry(telemetryBody(1));
      const ev = outbox.putEvent(eventBody(1));
      const call = outbox.putAlert(alertBody(alertId(1)));
      const order = outbox.pending(1000).map((m) => m.seq);
      expect(order.slice(0, 3)).toEqual([call.seq, ev.seq, call.seq - 2]);
      expect(order.slice(3)).toEqual(old.map((e) => e.seq));
    });

    it("numbers each lane on its own beside seq: alert; event and summary; telemetry", () => {
      const { outbox } = make({ telemetryBatch: 2 });
      const a1 = outbox.putAlert(alertBody(alertId(1)));
      const e1 = outbox.putEvent(eventBody(1));
      const s1 = outbox.putSummary(summaryBody());
      outbox.putTelemetry(telemetryBody(1));
      outbox.putTelemetry(telemetryBody(2));
      const a2 = outbox.putAlert(alertBody(alertId(2)));
      expect([a1.lane_seq, a2.lane_seq]).toEqual([1, 2]);
      expect([e1.lane_seq, s1.lane_seq]).toEqual([1, 2]);
      const tel = outbox.pending(10).filter((m) => m.lane === "telemetry");
      expect(tel.map((m) => m.envelope.lane_seq)).toEqual([1, 2]);
      expect(outbox.laneSeqs()).toEqual({ alert: 2, event: 2, telemetry: 2 });
      expect(outbox.lastSeq()).toBe(6);
    });

    it("resends at most the cap per command, says where to continue, and one resend at a time", () => {
      const { outbox } = make();
      const sent = Array.from({ length: 5 }, (_, i) => outbox.putEvent(eventBody(i)));
      outbox.markDelivered(sent.map((e) => e.seq));
      const first = outbox.resend(0, undefined, 2);
      expect(first).toEqual({
        requeued: 2,
        through_seq: sent[1]?.seq,
        next_from_seq: (sent[1]?.seq ?? 0) + 1,
      });
      let busy: unknown;
      try {
        outbox.resend(first.next_from_seq ?? 0, undefined, 2);
      } catch (e) {
        busy = e;
      }
      expect(isHearthError(busy) && busy.code).toBe(ErrorCode.CommandBusy);
      const requeued = outbox.pending(10);
      expect(requeued.map((m) => m.envelope)).toEqual([sent[0], sent[1]]);
      outbox.markDelivered(requeued.map((m) => m.seq));
      const last = outbox.resend(first.next_from_seq ?? 0, undefined, 100);
      expect(last).toEqual({ requeued: 3, through_seq: sent[4]?.seq, next_from_seq: null });
      outbox.markDelivered(outbox.pending(10).map((m) => m.seq));
      expect(outbox.resend(1000, undefined, 10)).toEqual({ requeued: 0, next_from_seq: null });
    });

    it("tracks open alerts by their latest state, and their state for a restart", () => {
      const { outbox } = make();
      const a1 = outbox.putAlert(alertBody(alertId(1), "raised"));
      outbox.putAlert(alertBody(alertId(2), "raised", "inactivity"));
      const a1esc = outbox.putAlert(alertBody(alertId(1), "escalated"));
      expect(outbox.openAlerts().map((m) => [(m.envelope.body as { alert: string }).alert, m.seq])).toEqual([
        [alertId(2), 2],
        [alertId(1), a1esc.seq],
      ]);
      outbox.putAlert({ ...alertBody(alertId(1), "acknowledged"), cause: "cloud", by: "nurse" });
      outbox.putAlert({ ...alertBody(alertId(2), "cleared", "inactivity"), cause: "activity" });
      outbox.putAlert(alertBody(alertId(3), "raised", "leak"));
      expect(outbox.openAlerts().map((m) => (m.envelope.body as { alert: string }).alert)).toEqual([
        alertId(3),
      ]);
      expect(outbox.alertState(alertId(1))).toEqual({
        kind: "call",
        state: "acknowledged",
        device: "button-1",
        raisedSeq: a1.seq,
      });
      expect(outbox.alertState(alertId(2))?.state).toBe("cleared");
      expect(outbox.alertState("alert-none")).toBeUndefined();
      // Delivery does not close an alert: it is still open until acknowledged or cleared.
      outbox.markDelivered(outbox.pending(100).map((m) => m.seq));
      expect(outbox.openAlerts().map((m) => m.delivered)).toEqual([true]);
    });

    it("commits telemetry in batches: by count, and by time on the clock", () => {
      const { outbox, clock } = make({ telemetryBatch: 5, telemetryFlushMs: 2000 });
      let writes = 0;
      const off = outbox.onWrite(() => writes++);
      for (let i = 0; i < 4; i++) outbox.putTelemetry(telemetryBody(i));
      expect(outbox.depth().telemetry).toBe(0);
      expect(writes).toBe(0);
      outbox.putTelemetry(telemetryBody(4));
      expect(outbox.depth().telemetry).toBe(5);
      expect(writes).toBe(1);
      // The SQLite outbox hands the next rows to the uplink before their commit (burst.ts, its own tests):
      // whether they count before the window ends differs; once it has, every row is there, in order.
      outbox.putTelemetry(telemetryBody(5));
      outbox.putTelemetry(telemetryBody(6));
      clock.advanceBy(2000);
      expect(outbox.depth().telemetry).toBe(7);
      const seen = writes;
      expect(seen).toBeGreaterThanOrEqual(2);
      const values = outbox
        .pending(100)
        .map((m) => (m.envelope.body as { values: { value: number }[] }).values[0]?.value);
      expect(values).toEqual([0, 1, 2, 3, 4, 5, 6]);
      off();
      outbox.putEvent(eventBody(1));
      expect(writes).toBe(seen);
    });

    it("flush() commits buffered telemetry now", () => {
      const { outbox } = make({ telemetryBatch: 100 });
      outbox.putTelemetry(telemetryBody(1));
      outbox.putTelemetry(telemetryBody(2));
      expect(outbox.depth().telemetry).toBe(0);
      outbox.flush();
      expect(outbox.depth().telemetry).toBe(2);
      expect(outbox.lastSeq()).toBe(2);
    });

    it("over its size bound drops telemetry oldest-first, never alerts or events", () => {
      const { outbox } = make({ maxSizeBytes: 20_000, telemetryBatch: 1 });
      const kept: string[] = [];
      for (let i = 0; i < 400; i++) {
        outbox.putTelemetry(telemetryBody(i));
        if (i % 40 === 0) kept.push(outbox.putAlert(alertBody(alertId(i))).id);
        if (i % 40 === 20) kept.push(outbox.putEvent(eventBody(i)).id);
      }
      expect(outbox.sizeBytes()).toBeLessThanOrEqual(20_000);
      const pending = outbox.pending(10_000);
      const ids = new Set(pending.map((m) => m.id));
      for (const id of kept) expect(ids.has(id)).toBe(true);
      const tele = pending.filter((m) => m.lane === "telemetry").map((m) => m.seq);
      expect(tele.length).toBeGreaterThan(0);
      expect(tele.length).toBeLessThan(400);
      // What is left is the newest telemetry: a contiguous tail, ending with the last one written.
      const teleValues = pending
        .filter((m) => m.lane === "telemetry")
        .map((m) => (m.envelope.body as { values: { value: number }[] }).values[0]?.value as number);
      expect(teleValues.at(-1)).toBe(399);
      expect(teleValues).toEqual(
        Array.from({ length: teleValues.length }, (_, k) => 400 - teleValues.length + k),
      );
    });

    it("over its size bound drops delivered rows before undelivered telemetry", () => {
      const { outbox } = make({ maxSizeBytes: 30_000, telemetryBatch: 1 });
      const events = Array.from({ length: 20 }, (_, i) => outbox.putEvent(eventBody(i)));
      outbox.markDelivered(events.map((e) => e.seq));
      let t = 0;
      while (outbox.deliveredRange(0).length === 20) outbox.putTelemetry(telemetryBody(t++));
      // The first drop took delivered rows; every telemetry row written so far is still there.
      expect(outbox.depth().telemetry).toBe(t);
      expect(outbox.deliveredRange(0).length).toBeLessThan(20);
    });

    it("keeps alerts and events even when they alone exceed the bound", () => {
      const { outbox } = make({ maxSizeBytes: 2_000 });
      for (let i = 0; i < 30; i++) {
        outbox.putAlert(alertBody(alertId(i)));
        outbox.putEvent(eventBody(i));
      }
      expect(outbox.depth()).toEqual({ alert: 30, event: 30, telemetry: 0 });
      expect(outbox.sizeBytes()).toBeGreaterThan(2_000);
    });

    it("prunes delivered rows past retention, but not undelivered ones nor an open alert's latest", () => {
      const { outbox, clock } = make({ retentionMs: HOUR_MS });
      const open = outbox.putAlert(alertBody(alertId(1)));
      const closedRaise = outbox.putAlert(alertBody(alertId(2)));
      const closed = outbox.putAlert({ ...alertBody(alertId(2), "acknowledged"), cause: "cloud" });
      const delivered = outbox.putEvent(eventBody(1));
      const undelivered = outbox.putEvent(eventBody(2));
      outbox.markDelivered([open.seq, closedRaise.seq, closed.seq, delivered.seq]);
      clock.advanceBy(HOUR_MS + 5 * MINUTE_MS);
      const fresh = outbox.putEvent(eventBody(3));
      outbox.markDelivered([fresh.seq]);
      // The hourly prunes at 60 minutes (nothing old enough yet) and 120 (the first rows, not `fresh`).
      clock.advanceBy(HOUR_MS);
      expect(outbox.deliveredRange(0).map((m) => m.seq)).toEqual([open.seq, fresh.seq]);
      expect(outbox.pending(10).map((m) => m.seq)).toEqual([undelivered.seq]);
      expect(outbox.openAlerts().map((m) => m.id)).toEqual([open.id]);
      expect(outbox.lastSeq()).toBe(fresh.seq);
      // Seqs are never reused after deletes.
      expect(outbox.putEvent(eventBody(4)).seq).toBe(fresh.seq + 1);
    });

    it("restamps queued unsynced rows after a clock sync: ts and clock change, id and seq do not", () => {
      const clock = new VirtualClock({ wallStartMs: 0, synced: false });
      const { outbox } = make({ clock, telemetryBatch: 100 });
      const delivered = outbox.putEvent(eventBody(1));
      outbox.markDelivered([delivered.seq]);
      // Evidence written on the unsynced clock (1970), and a command's end time from the cloud (synced).
      const alert = outbox.putAlert({
        ...alertBody(alertId(1)),
        evidence: { last_activity: { at: "1970-01-01T08:00:00.000+08:00", source: "water" }, note: "x" },
      });
      const watch = outbox.putEvent({
        event: "watch_level",
        data: { level: "away", until: "2026-06-03T18:00:00.000+08:00", at: "1970-01-01T08:00:00.500+08:00" },
      });
      clock.advanceBy(1000);
      outbox.putTelemetry(telemetryBody(1)); // buffered, not committed yet
      const offset = Date.UTC(2026, 5, 1) - clock.wallMs();
      clock.setWall(Date.UTC(2026, 5, 1), true);
      const synced = outbox.putEvent(eventBody(2));
      expect(outbox.restamp((w) => w + offset)).toBe(3);
      outbox.flush();
      const byId = new Map(outbox.pending(10).map((m) => [m.id, m]));
      const a = byId.get(alert.id);
      expect(a?.seq).toBe(alert.seq);
      expect(a?.envelope.ts).toBe("2026-06-01T07:59:59.000+08:00");
      expect(a?.envelope.clock).toBe("synced");
      // The body's own times are corrected with the same shift; the cloud's `until` is left as it was.
      expect(a?.envelope.body).toEqual({
        ...alert.body,
        evidence: { last_activity: { at: "2026-06-01T07:59:59.000+08:00", source: "water" }, note: "x" },
      });
      expect(byId.get(watch.id)?.envelope.body).toEqual({
        event: "watch_level",
        data: { level: "away", until: "2026-06-03T18:00:00.000+08:00", at: "2026-06-01T07:59:59.500+08:00" },
      });
      const t = outbox.pending(10).find((m) => m.lane === "telemetry");
      expect(t?.envelope.ts).toBe("2026-06-01T08:00:00.000+08:00");
      expect(t?.envelope.clock).toBe("synced");
      expect(byId.get(synced.id)?.envelope).toEqual(synced);
      // Already delivered: the cloud has it as it was; it is not rewritten.
      expect(outbox.deliveredRange(0)[0]?.envelope).toEqual(delivered);
      expect(outbox.restamp((w) => w + offset)).toBe(0);
    });

    it("notifies writers after commits, and a throwing listener harms nothing", () => {
      const { outbox } = make();
      const seen: number[] = [];
      outbox.onWrite(() => {
        throw new Error("listener bug");
      });
      outbox.onWrite(() => seen.push(outbox.lastSeq()));
      outbox.putAlert(alertBody(alertId(1)));
      outbox.putEvent(eventBody(1));
      expect(seen).toEqual([1, 2]);
    });

    it("keeps small values in its key/value store", () => {
      const { outbox } = make();
      expect(outbox.kv.get("ble.counter")).toBeUndefined();
      outbox.kv.set("ble.counter", "41");
      outbox.kv.set("ble.counter", "42");
      expect(outbox.kv.get("ble.counter")).toBe("42");
    });

    it("refuses work when closed", () => {
      const clock = new VirtualClock();
      const outbox = build({ clock, telemetryBatch: 10, telemetryFlushMs: 1000 });
      let caught: unknown;
      try {
        outbox.putEvent(eventBody(1));
      } catch (e) {
        caught = e;
      }
      expect(isHearthError(caught, ErrorCode.OutboxClosed)).toBe(true);
    });
  });
}
