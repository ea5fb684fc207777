import { describe, expect, it } from "vitest";
import type { EventBody } from "../../src/contract/messages.js";
import { VirtualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/log.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { COMMISSIONING_KEY, Commissioning } from "../../src/pipeline/commissioning.js";

function rig(
  store = new Map<string, string>(),
  clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 11, 7, 9) }),
) {
  const events: EventBody[] = [];
  const c = new Commissioning({
    clock,
    store: { get: (k) => store.get(k), set: (k, v) => void store.set(k, v) },
    timeZone: "Europe/Berlin",
    putEvent: (b) => events.push(b),
    log: silentLogger(),
  });
  return { c, clock, store, events };
}

describe("commissioning mode's rule", () => {
  it("only the announced press is a test; an unannounced press in the same window is a real call", () => {
    const { c, clock, events } = rig();
    c.start("Ana Installer");
    expect(events[0]).toEqual({
      event: "commissioning_started",
      data: {
        by: "Ana Installer",
        started: "2026-12-07T10:00:00.000+01:00",
        until: "2026-12-07T12:00:00.000+01:00",
      },
    });
    expect(c.downgrade("call")).toBeUndefined();
    c.expectPress();
    clock.advanceBy(30_000);
    expect(c.downgrade("call")).toEqual({
      as: "call",
      announced: true,
      commissioning: { by: "Ana Installer", until: "2026-12-07T12:00:00.000+01:00" },
    });
    expect(c.state()?.last_test_press).toBe("2026-12-07T10:00:30.000+01:00");
    // One announcement, one test press.
    expect(c.downgrade("call")).toBeUndefined();
    // An announcement not used within its window lapses.
    c.expectPress(MINUTE_MS);
    // A new announcement waits for its own press.
    expect(c.state()?.last_test_press).toBeUndefined();
    clock.advanceBy(MINUTE_MS + 1);
    expect(c.downgrade("call")).toBeUndefined();
  });

  it("silences (inactivity, also after a pre-alarm) are tests; a fall or a leak never is", () => {
    const { c } = rig();
    expect(c.downgrade("inactivity")).toBeUndefined();
    c.start("ana");
    expect(c.downgrade("inactivity")).toMatchObject({ as: "inactivity", commissioning: { by: "ana" } });
    c.expectPress();
    expect(c.downgrade("fall")).toBeUndefined();
    expect(c.downgrade("leak")).toBeUndefined();
  });

  it("ends by itself at its end time, and says so", () => {
    const { c, clock, events } = rig();
    c.start("ana", 2 * HOUR_MS);
    clock.advanceBy(2 * HOUR_MS - MINUTE_MS);
    expect(c.state()?.by).toBe("ana");
    clock.advanceBy(MINUTE_MS);
    // The timer ended it, without anyone asking.
    expect(events.at(-1)).toMatchObject({
      event: "commissioning_ended",
      data: { reason: "expired", started_by: "ana", ended: "2026-12-07T12:00:00.000+01:00" },
    });
    expect(c.state()).toBeUndefined();
    expect(c.downgrade("inactivity")).toBeUndefined();
    expect(() => c.expectPress()).toThrow(/not commissioning/);
  });

  it("survives a restart (its end time is in the store), and one whose end passed meanwhile ends at once", () => {
    const first = rig();
    first.c.start("ana", HOUR_MS);
    first.c.stopTimer();
    expect(JSON.parse(first.store.get(COMMISSIONING_KEY) ?? "null")).toMatchObject({ by: "ana" });
    const again = rig(first.store, first.clock);
    again.c.restore();
    expect(again.c.state()?.until).toBe("2026-12-07T11:00:00.000+01:00");
    again.c.stopTimer();
    first.clock.advanceBy(2 * HOUR_MS);
    const late = rig(first.store, first.clock);
    late.c.restore();
    expect(late.c.state()).toBeUndefined();
    expect(late.events).toEqual([
      expect.objectContaining({
        event: "commissioning_ended",
        data: expect.objectContaining({ reason: "expired" }),
      }),
    ]);
  });

  it("refuses a mode longer than 8 h, and a stop says who stopped it", () => {
    const { c, events } = rig();
    expect(() => c.start("ana", 9 * HOUR_MS)).toThrow(/at most 8 h/);
    c.start("ana");
    expect(c.stop("bob")).toEqual({ ended: true });
    expect(events.at(-1)).toMatchObject({
      event: "commissioning_ended",
      data: { by: "bob", started_by: "ana", reason: "stopped" },
    });
    expect(c.stop("bob")).toEqual({ ended: false });
  });
});

describe("commissioning mode in the pipeline", () => {
  it("a silence goes out as one test alert (not one a minute), and a fall stays a fall", async () => {
    const { pipelineRig } = await import("../helpers/pipeline-rig.js");
    let commissioning = true;
    const { clock, sink, p } = pipelineRig(
      "2026-03-02T08:00:00+08:00",
      {},
      { downgrade: (kind) => (commissioning && kind === "inactivity" ? { as: kind } : undefined) },
    );
    const poll = (ms: number) => {
      for (let t = 0; t < ms; t += 10 * MINUTE_MS) {
        clock.advanceBy(Math.min(10 * MINUTE_MS, ms - t));
        p.readings([
          { device: "water-1", channel: "water_total_m3", value: 10.004, mono: clock.monotonicMs() },
        ]);
      }
    };
    p.readings([{ device: "water-1", channel: "water_total_m3", value: 10, mono: clock.monotonicMs() }]);
    clock.advanceBy(10 * MINUTE_MS);
    p.readings([{ device: "water-1", channel: "water_total_m3", value: 10.004, mono: clock.monotonicMs() }]);
    poll(4 * HOUR_MS + 5 * MINUTE_MS);
    expect(sink.alerts.map((a) => `${a.kind}:${a.state}`)).toEqual(["test:raised"]);
    expect(sink.alerts[0]?.evidence).toMatchObject({ as: "inactivity", threshold_s: 4 * 3600 });
    // The silence starts again after the test: no second alert a minute later.
    poll(60 * MINUTE_MS);
    expect(sink.alerts).toHaveLength(1);
    commissioning = false;
    p.readings([{ device: "fall-1", channel: "fall", value: 1, mono: clock.monotonicMs() }]);
    expect(sink.alerts.at(-1)?.kind).toBe("fall");
  });
});
