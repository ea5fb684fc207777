/**
 * `hearth replay` input from the ambient senses (issue 10): motion, door, occupancy and presence lines
 * reach the pipeline as those sensors would, with numbers (as the agent's readings) or booleans (as
 * BTHome and Zigbee2MQTT state them).
 */
import { describe, expect, it } from "vitest";
import type { AlertBody, Envelope } from "../../src/contract/messages.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { parseLine } from "../../src/replay/input.js";
import { runReplay } from "../../src/replay/run.js";

const T0 = Date.parse("2026-03-02T07:00:00+08:00");
const ts = (min: number) => new Date(T0 + min * MINUTE_MS + 8 * HOUR_MS).toISOString().replace("Z", "+08:00");
const line = (min: number, device: string, channel: string, value: unknown) =>
  JSON.stringify({ ts: ts(min), device, channel, value });

/** The meter answers every 5 min from 07:00 to 16:00 with nothing happening; `extra` lines are merged in. */
function morning(extra: [number, string, string, unknown][]): string[] {
  const rows: [number, string][] = [];
  for (let m = 0; m <= 9 * 60; m += 5) rows.push([m, line(m, "meter-1", "power_w", 40)]);
  for (const [m, d, c, v] of extra) rows.push([m + 0.5, line(m, d, c, v)]);
  return rows.sort((a, b) => a[0] - b[0]).map(([, l]) => l);
}

async function replay(lines: string[]) {
  const out: Envelope[] = [];
  const problems: [number, string][] = [];
  await runReplay(lines, { emit: (e) => out.push(e), problem: (n, r) => problems.push([n, r]) });
  const alerts = out.filter((e) => e.type === "alert").map((e) => e.body as AlertBody);
  return { out, problems, alerts };
}

describe("replay input: the senses' lines", () => {
  it("motion, door and occupancy take numbers or booleans", () => {
    for (const [channel, value, want] of [
      ["motion", 1, 1],
      ["motion", true, 1],
      ["door", false, 0],
      ["occupancy", true, 1],
    ] as const)
      expect(parseLine(line(0, "s-1", channel, value))).toMatchObject({
        kind: "reading",
        channel,
        value: want,
      });
  });

  it("presence is the occupancy channel (the contract's telemetry names occupancy)", () => {
    expect(parseLine(line(0, "radar-1", "presence", true))).toMatchObject({
      kind: "reading",
      device: "radar-1",
      channel: "occupancy",
      value: 1,
    });
  });

  it("a boolean is refused where the channel is not binary, and a string value for a sensor", () => {
    expect(parseLine(line(0, "meter-1", "power_w", true))).toMatch(/"value" must be a finite number/);
    expect(parseLine(line(0, "pir-1", "motion", "on"))).toMatch(
      /"value" must be a finite number or a boolean/,
    );
  });
});

describe("replay: the senses reach the pipeline", () => {
  it("without them the quiet morning raises an inactivity alert at 14:00 (after the 07:00 start)", async () => {
    const { problems, alerts } = await replay(morning([]));
    expect(problems).toEqual([]);
    expect(alerts.filter((a) => a.kind === "inactivity").map((a) => a.state)).toContain("raised");
  });

  it("motion around 11:00 pushes the silence on: no alert by 16:00; one lone trigger does not", async () => {
    const { alerts, problems } = await replay(
      morning([
        [239, "pir-1", "motion", false],
        [240, "pir-1", "motion", true],
        [241, "pir-1", "motion", false],
        [250, "pir-1", "motion", true],
        [251, "pir-1", "motion", false],
        [260, "pir-1", "motion", true],
        [261, "pir-1", "motion", false],
      ]),
    );
    expect(problems).toEqual([]);
    expect(alerts.filter((a) => a.kind === "inactivity")).toEqual([]);
    const lone = await replay(
      morning([
        [239, "pir-1", "motion", false],
        [240, "pir-1", "motion", true],
        [241, "pir-1", "motion", false],
      ]),
    );
    expect(
      lone.alerts.filter((a) => a.kind === "inactivity" && a.state === "raised").map((a) => a.since),
    ).toEqual(["2026-03-02T14:00:00.000+08:00"]);
  });

  it("the door and a presence sensor count too; the alert they clear names them", async () => {
    // Alert at 14:00 (7 h), then the door opens at 14:30 and a radar sees someone arrive at 15:00.
    const { alerts } = await replay(
      morning([
        [5, "door-1", "door", false],
        [5, "radar-1", "presence", false],
        [450, "door-1", "door", true],
      ]),
    );
    const inactivity = alerts.filter((a) => a.kind === "inactivity");
    expect(inactivity.map((a) => a.state)).toEqual(["raised", "cleared"]);
    expect(inactivity[1]?.evidence).toMatchObject({ last_activity: { source: "door", device: "door-1" } });
    // A radar sees a person on the floor as present too: one presence event does not clear the
    // alert; presence coming and going three times in ten minutes is someone up and about.
    const once = await replay(
      morning([
        [5, "radar-1", "presence", false],
        [480, "radar-1", "presence", true],
      ]),
    );
    expect(once.alerts.filter((a) => a.kind === "inactivity").map((a) => a.state)).toEqual([
      "raised",
      "escalated",
    ]);
    const viaRadar = await replay(
      morning([
        [5, "radar-1", "presence", false],
        [480, "radar-1", "presence", true],
        [483, "radar-1", "presence", false],
        [484, "radar-1", "presence", true],
        [486, "radar-1", "presence", false],
        [487, "radar-1", "presence", true],
      ]),
    );
    const cleared = viaRadar.alerts.filter((a) => a.kind === "inactivity" && a.state === "cleared");
    expect(cleared[0]?.evidence).toMatchObject({ last_activity: { source: "occupancy", device: "radar-1" } });
    expect(cleared[0]?.since).toBe(once.alerts.find((a) => a.kind === "inactivity")?.since);
  });
});
