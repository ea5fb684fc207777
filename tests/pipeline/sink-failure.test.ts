import { describe, expect, it } from "vitest";
import { ErrorCode, HearthError, isHearthError } from "../../src/core/errors.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { FailingMessageSink } from "../helpers/message-sink.js";
import { pipelineRig } from "../helpers/pipeline-rig.js";

/**
 * What the pipeline does when its sink refuses a write (`putAlert` throws). Since issue 9 the real
 * outbox never throws for storage (it holds what the disk refuses in memory), so a throw here is a bug
 * or a sink of another kind: the error goes back to whoever called in (a driver's reading or press,
 * whose caller logs it), nothing is half-done in the alert lifecycle, and the clock's tick is guarded:
 * it logs, keeps running, and tries again the next minute.
 */

const outboxFull = () =>
  new HearthError("Failed to write to the outbox: database or disk is full", ErrorCode.OutboxFull, {
    path: "/var/lib/hearth/outbox.db",
  });

/** What the SQLite outbox throws on a disk error: not full, so `Internal`, with the driver's error as cause. */
const diskError = () =>
  new HearthError(
    "Failed to write to the outbox: disk I/O error",
    ErrorCode.Internal,
    { path: "/var/lib/hearth/outbox.db", rows: 1 },
    { cause: Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" }) },
  );

/** The error `fn` throws (and that it throws at all). */
function thrownBy(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

const setup = () =>
  pipelineRig("2026-03-02T09:00:00+08:00", {}, { sink: () => new FailingMessageSink(undefined) });

describe("pipeline: the outbox refuses an alert", () => {
  it("a call the outbox is too full to keep: the press throws OutboxFull, no call is open, the next press works", () => {
    const { clock, sink, p } = setup();
    sink.failing = outboxFull();
    const e = thrownBy(() => p.button({ device: "button-1", event: "press", mono: clock.monotonicMs() }));
    expect(isHearthError(e, ErrorCode.OutboxFull)).toBe(true);
    expect(sink.failures).toBe(1);
    // Nothing was written and nothing is open: the alert never existed.
    expect(sink.alerts).toEqual([]);
    expect(sink.events).toEqual([]);
    expect(p.alerts.open()).toEqual([]);
    // The press was not taken for activity either: the raise comes first.
    expect(p.lastActivity()).toBeUndefined();

    sink.failing = undefined;
    p.button({ device: "button-1", event: "press", mono: clock.monotonicMs() });
    expect(sink.states()).toEqual(["call:raised"]);
    expect(p.alerts.open().map((a) => `${a.kind}:${a.state}`)).toEqual(["call:raised"]);
    expect(sink.events.map((ev) => ev.event)).toEqual(["button"]);
    expect(p.lastActivity()?.source).toBe("button");
  });

  it("an inactivity alert the sink cannot take: the tick logs and keeps running, every minute, until the sink is back; then one alert (issue 9)", () => {
    const { clock, sink, p } = setup();
    const start = clock.monotonicMs();
    clock.advanceBy(4 * HOUR_MS - MINUTE_MS);
    expect(sink.alerts).toEqual([]);
    sink.failing = diskError();
    // The tick at 4 h finds the silence; its raise throws, and the tick swallows (and logs) it: before
    // issue 9 the throw went out of the timer and, on the system clock, took the process down.
    clock.advanceBy(2 * MINUTE_MS);
    expect(clock.monotonicMs()).toBe(start + 4 * HOUR_MS + MINUTE_MS);
    expect(sink.failures).toBe(2);
    expect(p.alerts.findOpen("inactivity")).toBeUndefined();
    // The next tick finds the same silence and tries again.
    clock.advanceBy(MINUTE_MS);
    expect(sink.failures).toBe(3);
    expect(p.alerts.open()).toEqual([]);

    sink.failing = undefined;
    clock.advanceBy(MINUTE_MS);
    expect(sink.states()).toEqual(["inactivity:raised"]);
    expect(sink.alerts[0]?.evidence).toMatchObject({ rule: "max_silence_day", silence_s: 4 * 3600 + 3 * 60 });
    expect(p.alerts.open().map((a) => a.alert)).toEqual([sink.alerts[0]?.alert]);
    // The day's record has the alert that was written, and none of the tries that were refused.
    clock.advanceBy(12 * HOUR_MS);
    expect(sink.summaries).toHaveLength(1);
    expect(sink.summaries[0]?.alerts).toEqual([
      { alert: sink.alerts[0]?.alert, kind: "inactivity", state: "escalated" },
    ]);
  });

  it("a clearing the outbox refuses: the reading throws, the alert stays open as it was, the next activity clears it", () => {
    const { clock, sink, p, read } = setup();
    read("water-1", "water_total_m3", 10);
    for (let m = 0; m < 4 * 60 + 5; m += 5) {
      clock.advanceBy(5 * MINUTE_MS);
      read("water-1", "water_total_m3", 10);
    }
    expect(sink.states()).toEqual(["inactivity:raised"]);
    const id = sink.alerts[0]?.alert;
    sink.failing = outboxFull();
    const e = thrownBy(() => read("water-1", "water_total_m3", 10.01));
    expect(isHearthError(e, ErrorCode.OutboxFull)).toBe(true);
    expect(sink.states()).toEqual(["inactivity:raised"]);
    expect(p.alerts.open().map((a) => `${a.alert}:${a.state}`)).toEqual([`${id}:raised`]);
    // The water that ran is the last activity all the same.
    expect(p.lastActivity()).toMatchObject({ source: "water", detail: "10 L used" });

    sink.failing = undefined;
    read("water-1", "water_total_m3", 10.02);
    expect(sink.states()).toEqual(["inactivity:raised", "inactivity:cleared"]);
    expect(sink.alerts[1]?.alert).toBe(id);
    expect(p.alerts.open()).toEqual([]);
  });

  it("an acknowledgement the outbox refuses: the command throws and the alert is still open", () => {
    const { clock, sink, p } = setup();
    p.button({ device: "button-1", event: "press", mono: clock.monotonicMs() });
    const id = sink.alerts[0]?.alert as string;
    sink.failing = outboxFull();
    const e = thrownBy(() => p.acknowledge(id, "carer-7"));
    expect(isHearthError(e, ErrorCode.OutboxFull)).toBe(true);
    expect(p.alerts.get(id)?.state).toBe("raised");
    sink.failing = undefined;
    p.acknowledge(id, "carer-7");
    expect(sink.states()).toEqual(["call:raised", "call:acknowledged"]);
  });

  it("a device going offline while events are refused: the state changes, but neither event nor alert is written, nor tried again", () => {
    const { sink, p } = setup();
    sink.failing = outboxFull();
    expect(() => p.availability("meter-1", "offline", "3 polls failed")).toThrow(HearthError);
    expect(p.devices()["meter-1"]?.availability).toBe("offline");
    sink.failing = undefined;
    // Today the pipeline takes the device as offline already: the alert is not raised on the next report.
    p.availability("meter-1", "offline", "still failing");
    expect(sink.events).toEqual([]);
    expect(sink.alerts).toEqual([]);
    p.availability("meter-1", "online", "answered");
    expect(sink.events.map((ev) => ev.event)).toEqual(["device_online"]);
    expect(sink.alerts).toEqual([]);
  });
});

describe("pipeline: the storage alert (issue 9)", () => {
  it("a storage fault raises one storage alert for the gateway; a second fault does not raise another; recovery clears it", () => {
    const { sink, p } = setup();
    p.storage({ reason: "full", free_bytes: 0, memory_lane: 1 });
    p.storage({ reason: "io_error", memory_lane: 2 });
    expect(sink.states()).toEqual(["storage:raised"]);
    expect(sink.alerts[0]).toMatchObject({ device: "gateway", evidence: { reason: "full", memory_lane: 1 } });
    p.storage(undefined);
    expect(sink.states()).toEqual(["storage:raised", "storage:cleared"]);
    expect(sink.alerts[1]?.cause).toBe("recovered");
    expect(p.alerts.open()).toEqual([]);
    p.storage(undefined);
    expect(sink.alerts).toHaveLength(2);
  });
});
