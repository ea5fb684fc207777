import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { AlertBody, Envelope, EventBody } from "../../src/contract/messages.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { runReplay } from "../../src/replay/run.js";
import { hearthSync } from "../helpers/cli.js";

// Issue 10, point 8: `hearth replay` prints each pre-alarm as an event envelope when it starts, and
// either its cancellation or the alert. Default config: day limit 7 h, 6 h while the pre-alarm is on;
// a kettle at 08:10 (Monday 2026-03-02, +08:00), then only the fridge's steady draw: switched off at
// 08:20 (a step too), the silence is found at 15:20, or at 14:20 with the pre-alarm on.
const line = (ts: string, device: string, channel: string, value: number | string) =>
  JSON.stringify({ ts: `2026-03-02T${ts}+08:00`, device, channel, value });

function day(extra: string[] = [], until = "16:00"): string[] {
  const out = [line("08:00:00", "meter-1", "power_w", 40), line("08:10:00", "meter-1", "power_w", 2100)];
  const [uh, um] = until.split(":").map(Number) as [number, number];
  for (let m = 8 * 60 + 20; m <= uh * 60 + um; m += 10) {
    const ts = `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}:00`;
    out.push(line(ts, "meter-1", "power_w", 40));
  }
  // Extra lines go in time order among the readings.
  return [...out, ...extra].sort((a, b) => JSON.parse(a).ts.localeCompare(JSON.parse(b).ts));
}

function config(prealarm: string) {
  const cat = loadCatalogue();
  const yaml = `version: 1
home: { id: h1, timezone: Asia/Shanghai }
cloud: { brokers: [{ url: "mqtt://127.0.0.1:1883" }] }
detection: { prealarm: ${prealarm} }
`;
  const r = parseConfig(yaml, "t.yaml", cat.profiles);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { config: r.value, profiles: cat.profiles };
}

async function replay(lines: string[], prealarm?: true | number, home?: ReturnType<typeof config>) {
  const out: Envelope[] = [];
  await runReplay(lines, {
    ...(home ?? {}),
    emit: (e) => out.push(e),
    problem: (n, r) => {
      throw new Error(`line ${n}: ${r}`);
    },
    ...(prealarm !== undefined ? { prealarm } : {}),
  });
  const printed = out
    .filter(
      (e) => e.type === "alert" || (e.type === "event" && (e.body as EventBody).event.startsWith("prealarm")),
    )
    .map((e) =>
      e.type === "alert"
        ? `${e.ts.slice(11, 16)} alert ${(e.body as AlertBody).kind}:${(e.body as AlertBody).state}`
        : `${e.ts.slice(11, 16)} ${(e.body as EventBody).event}`,
    );
  return { out, printed };
}

describe("replay: the pre-alarm", () => {
  it("off without --prealarm (nobody hears a replay): the alert at once", async () => {
    const { printed } = await replay(day());
    expect(printed).toEqual(["15:20 alert inactivity:raised"]);
  });

  it("--prealarm: started, then the alert when nobody answers", async () => {
    const { printed, out } = await replay(day(), true);
    expect(printed).toEqual([
      "14:20 prealarm_started",
      "14:30 alert inactivity:raised",
      "14:30 prealarm_expired",
      "15:30 alert inactivity:escalated",
    ]);
    const alert = out.find((e) => e.type === "alert")?.body as AlertBody;
    expect(alert.evidence.prealarm).toMatchObject({
      started: "2026-03-02T14:20:00.000+08:00",
      waited_s: 600,
    });
  });

  it("--prealarm: the answer in the input (a double press) cancels it; --prealarm 3m waits 3 min", async () => {
    const answered = day([line("14:24:00", "btn-1", "button", "double_press")]);
    expect((await replay(answered, true)).printed).toEqual([
      "14:20 prealarm_started",
      "14:24 prealarm_cancelled",
    ]);
    const short = await replay(answered, 3 * 60_000);
    expect(short.printed).toEqual([
      "14:20 prealarm_started",
      "14:23 alert inactivity:raised",
      "14:23 prealarm_expired",
      "14:24 alert inactivity:cleared",
    ]);
  });

  it("honours the config: on (its wait) without the flag; the flag wins over off", async () => {
    expect((await replay(day(), undefined, config("{ enabled: on, wait: 5m }"))).printed).toEqual([
      "14:20 prealarm_started",
      "14:25 alert inactivity:raised",
      "14:25 prealarm_expired",
      "15:25 alert inactivity:escalated",
    ]);
    expect((await replay(day(), undefined, config("{ enabled: off }"))).printed).toEqual([
      "15:20 alert inactivity:raised",
    ]);
    expect((await replay(day(), true, config("{ enabled: off, wait: 2m }"))).printed).toEqual([
      "14:20 prealarm_started",
      "14:22 alert inactivity:raised",
      "14:22 prealarm_expired",
      "15:22 alert inactivity:escalated",
    ]);
  });

  it("the command line prints the events as envelopes; a bad wait is a usage error", () => {
    const input = `${day([line("14:24:00", "btn-1", "button", "double_press")]).join("\n")}\n`;
    const r = hearthSync(["replay", "--input", "-", "--prealarm"], input);
    expect(r.code).toBe(0);
    const envs = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Envelope);
    const pre = envs.filter((e) => e.type === "event" && (e.body as EventBody).event.startsWith("prealarm"));
    expect(pre.map((e) => [(e.body as EventBody).event, e.ts])).toEqual([
      ["prealarm_started", "2026-03-02T14:20:00.000+08:00"],
      ["prealarm_cancelled", "2026-03-02T14:24:00.000+08:00"],
    ]);
    expect((pre[1]?.body as EventBody | undefined)?.data).toMatchObject({ by: "i_am_fine", device: "btn-1" });
    const bad = hearthSync(["replay", "--input", "-", "--prealarm", "soon"], input);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--prealarm soon is not a duration/);
  });
});
