/**
 * `hearth replay` with an entrance door's lines: the outing events come out as event envelopes, and
 * a day out raises no inactivity alert but not_home (src/pipeline/outings.ts).
 */
import { describe, expect, it } from "vitest";
import type { AlertBody, Envelope, EventBody } from "../../src/contract/messages.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { runReplay } from "../../src/replay/run.js";

const T0 = Date.parse("2026-03-02T07:00:00+08:00");
const ts = (min: number) => new Date(T0 + min * MINUTE_MS + 8 * HOUR_MS).toISOString().replace("Z", "+08:00");
const line = (min: number, device: string, channel: string, value: unknown) =>
  JSON.stringify({ ts: ts(min), device, channel, value });

describe("replay: an entrance door", () => {
  it("out at 09:01, back at 17:00: outing events, not_home past 6 h cleared on return, no inactivity", async () => {
    const rows: [number, string][] = [];
    for (let m = 0; m <= 11 * 60; m += 5) rows.push([m, line(m, "meter-1", "power_w", 40)]);
    const extra: [number, unknown][] = [
      [1, false],
      [120, true],
      [121, false],
      [600, true],
      [601, false],
    ];
    for (const [m, v] of extra) rows.push([m + 0.5, line(m, "door-1", "door", v)]);
    const lines = rows.sort((a, b) => a[0] - b[0]).map(([, l]) => l);
    const out: Envelope[] = [];
    await runReplay(lines, { emit: (e) => out.push(e), problem: () => undefined });
    const events = out.filter((e) => e.type === "event").map((e) => e.body as EventBody);
    const outings = events.filter((e) => e.event.startsWith("outing_"));
    expect(outings.map((e) => [e.event, e.data])).toEqual([
      ["outing_started", { door: "door-1", out_since: "2026-03-02T09:01:00.000+08:00" }],
      ["outing_ended", { door: "door-1", out_s: 479 * 60, by: { source: "door", device: "door-1" } }],
    ]);
    const alerts = out.filter((e) => e.type === "alert").map((e) => e.body as AlertBody);
    // Without the door the silence from 09:01 would have been an inactivity alert at 16:01.
    expect(alerts.filter((a) => a.kind === "inactivity")).toEqual([]);
    const notHome = alerts.filter((a) => a.kind === "not_home");
    expect(notHome.map((a) => [a.state, a.since])).toEqual([
      ["raised", "2026-03-02T15:01:00.000+08:00"],
      ["cleared", "2026-03-02T15:01:00.000+08:00"],
    ]);
    expect(notHome[0]?.evidence).toMatchObject({ rule: "outing_day", door: "door-1" });
  });
});
