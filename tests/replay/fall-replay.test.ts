import { describe, expect, it } from "vitest";
import type { AlertBody, Envelope } from "../../src/contract/messages.js";
import { parseLine } from "../../src/replay/input.js";
import { runReplay } from "../../src/replay/run.js";

// Issue 10, point 3 and 8: a `fall` line in `hearth replay` input raises the fall alert in the output.
const line = (ts: string, device: string, channel: string, value: number) =>
  JSON.stringify({ ts: `2026-03-02T${ts}+08:00`, device, channel, value });

const morning = [
  line("07:00:00", "meter-1", "power_w", 40),
  line("07:10:00", "meter-1", "power_w", 2100),
  line("07:20:00", "radar-1", "fall", 0),
  line("07:31:15", "radar-1", "fall", 1),
  line("07:31:45", "radar-1", "fall", 1),
  line("07:40:00", "meter-1", "power_w", 40),
];

async function replay(lines: string[]) {
  const out: Envelope[] = [];
  const problems: [number, string][] = [];
  await runReplay(lines, { emit: (e) => out.push(e), problem: (n, r) => problems.push([n, r]) });
  const alerts = out.filter((e) => e.type === "alert").map((e) => ({ ts: e.ts, body: e.body as AlertBody }));
  return { alerts, problems };
}

describe("replay: falls", () => {
  it("reads a fall line as a reading", () => {
    expect(parseLine(line("07:31:15", "radar-1", "fall", 1))).toMatchObject({
      kind: "reading",
      device: "radar-1",
      channel: "fall",
      value: 1,
    });
  });

  it("raises the fall alert at the fall line's time, once while it is open; activity does not clear it", async () => {
    const { alerts, problems } = await replay(morning);
    expect(problems).toEqual([]);
    expect(alerts.map((a) => `${a.body.kind}:${a.body.state}`)).toEqual(["fall:raised"]);
    expect(alerts[0]?.ts).toBe("2026-03-02T07:31:15.000+08:00");
    expect(alerts[0]?.body).toMatchObject({ device: "radar-1", evidence: { channel: "fall", value: 1 } });
  });

  it("an ack command closes it", async () => {
    const first = await replay(morning);
    const id = first.alerts[0]?.body.alert ?? "missing";
    const lines = [
      ...morning,
      JSON.stringify({ ts: "2026-03-02T07:45:00+08:00", command: "ack", alert: id, by: "carer" }),
    ];
    const { alerts, problems } = await replay(lines);
    expect(problems).toEqual([]);
    expect(alerts.map((a) => `${a.body.kind}:${a.body.state}`)).toEqual(["fall:raised", "fall:acknowledged"]);
  });
});
