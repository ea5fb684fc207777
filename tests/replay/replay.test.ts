import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Envelope, envelope } from "../../src/contract/messages.js";
import { packageRoot } from "../../src/core/paths.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { parseLine, zoneForOffset } from "../../src/replay/input.js";
import { runReplay } from "../../src/replay/run.js";

const MAIN = join(packageRoot(), "dist/src/cli/main.js");

/** A quiet morning: a kettle at 07:12, then the meter keeps answering with nothing happening. */
function quietMorning(): string[] {
  const lines: string[] = [];
  const t0 = Date.parse("2026-03-02T07:00:00+08:00");
  for (let m = 0; m <= 9 * 60; m += 5) {
    const ts = new Date(t0 + m * MINUTE_MS + 8 * HOUR_MS).toISOString().replace("Z", "+08:00");
    const w = m === 10 ? 2100 : 40;
    lines.push(JSON.stringify({ ts, device: "meter-1", channel: "power_w", value: w }));
  }
  return lines;
}

async function replay(lines: string[], o: { untilMs?: number; telemetry?: boolean } = {}) {
  const out: Envelope[] = [];
  const problems: [number, string][] = [];
  await runReplay(lines, { ...o, emit: (e) => out.push(e), problem: (n, r) => problems.push([n, r]) });
  return { out, problems };
}

describe("replay input", () => {
  it("parses readings, buttons and commands, and says what is wrong with a bad line", () => {
    expect(
      parseLine('{"ts":"2026-03-01T07:12:00+08:00","device":"meter-1","channel":"power_w","value":812.5}'),
    ).toMatchObject({
      kind: "reading",
      channel: "power_w",
      value: 812.5,
      offsetMin: 480,
    });
    expect(
      parseLine('{"ts":"2026-03-01T07:12:00+08:00","device":"b","channel":"button","value":"press"}'),
    ).toMatchObject({
      kind: "button",
      event: "press",
    });
    expect(
      parseLine(
        '{"ts":"2026-03-01T07:12:00+08:00","command":"watch","level":"away","until":"2026-03-03T18:00:00+08:00"}',
      ),
    ).toMatchObject({ kind: "watch", level: "away", untilMs: Date.parse("2026-03-03T18:00:00+08:00") });
    expect(parseLine("{nope")).toBe("not JSON");
    expect(parseLine('{"ts":"yesterday","device":"m","channel":"power_w","value":1}')).toMatch(
      /not an ISO 8601/,
    );
    expect(parseLine('{"ts":"2026-03-01T07:12:00Z","device":"m","channel":"volts","value":1}')).toMatch(
      /unknown channel/,
    );
    expect(parseLine('{"ts":"2026-03-01T07:12:00Z","command":"watch","level":"sleepy"}')).toMatch(/level/);
    expect(zoneForOffset(480)).toBe("Etc/GMT-8");
    expect(zoneForOffset(-300)).toBe("Etc/GMT+5");
  });
});

describe("replay", () => {
  it("fires timers in the silences: an inactivity alert between lines, as valid contract envelopes", async () => {
    const { out, problems } = await replay(quietMorning());
    expect(problems).toEqual([]);
    for (const e of out) expect(envelope.safeParse(e).success).toBe(true);
    const alerts = out
      .filter((e) => e.type === "alert")
      .map((e) => e.body as { kind: string; state: string });
    expect(alerts.filter((a) => a.kind === "inactivity").map((a) => a.state)).toEqual([
      "raised",
      "escalated",
    ]);
    const raised = out.find((e) => e.type === "alert" && (e.body as { kind: string }).kind === "inactivity");
    // The kettle switched off at 07:15 (switching off is activity too) + 7 h (the default day limit)
    // = 14:15, stamped with the home's offset taken from the input.
    expect(raised?.ts).toBe("2026-03-02T14:15:00.000+08:00");
    expect(out.every((e) => e.type !== "telemetry")).toBe(true);
    expect(out.map((e) => e.seq)).toEqual(out.map((_, i) => i + 1));
  });

  it("gives the same ids for the same input", async () => {
    const a = await replay(quietMorning());
    const b = await replay(quietMorning());
    expect(a.out.map((e) => e.id)).toEqual(b.out.map((e) => e.id));
    expect(a.out.length).toBeGreaterThan(0);
  });

  it("reports a malformed or out-of-order line with its number and skips it", async () => {
    const lines = quietMorning();
    lines.splice(3, 0, "not json at all");
    lines.splice(
      6,
      0,
      JSON.stringify({ ts: "2026-03-02T06:00:00+08:00", device: "meter-1", channel: "power_w", value: 1 }),
    );
    const { out, problems } = await replay(lines);
    expect(problems.map(([n]) => n)).toEqual([4, 7]);
    expect(problems[1]?.[1]).toMatch(/out of order/);
    expect(out.some((e) => e.type === "alert")).toBe(true);
  });

  it("--until runs the clock on after the last line; --telemetry prints telemetry", async () => {
    const short = quietMorning().slice(0, 20); // up to 08:35
    expect((await replay(short)).out.filter((e) => e.type === "alert")).toEqual([]);
    const until = Date.parse("2026-03-02T14:00:00+08:00");
    const { out } = await replay(short, { untilMs: until, telemetry: true });
    expect(out.filter((e) => e.type === "telemetry")).toHaveLength(20);
    // The meter stopped answering at 08:35: degraded at 09:20, and the silence is no longer counted.
    const kinds = out.filter((e) => e.type === "alert").map((e) => (e.body as { kind: string }).kind);
    expect(kinds).toContain("monitoring_degraded");
    expect(kinds).not.toContain("inactivity");
  });

  it("an ack command acknowledges the alert it names; a watch command reaches the pipeline", async () => {
    const first = await replay(quietMorning());
    const raised = first.out.find(
      (e) => e.type === "alert" && (e.body as { kind: string }).kind === "inactivity",
    );
    const id = (raised?.body as { alert?: string } | undefined)?.alert ?? "missing";
    const lines = quietMorning();
    lines.splice(
      88,
      0,
      JSON.stringify({ ts: "2026-03-02T14:16:00+08:00", command: "ack", alert: id, by: "carer" }),
    );
    const { out, problems } = await replay(lines);
    expect(problems).toEqual([]);
    const states = out.filter((e) => e.type === "alert").map((e) => (e.body as { state: string }).state);
    expect(states).toEqual(["raised", "acknowledged"]);
    const away = quietMorning();
    away.splice(1, 0, JSON.stringify({ ts: "2026-03-02T07:02:00+08:00", command: "watch", level: "away" }));
    const awayOut = await replay(away);
    expect(awayOut.out.filter((e) => e.type === "alert")).toEqual([]);
    expect(
      awayOut.out.some((e) => e.type === "event" && (e.body as { event: string }).event === "watch_level"),
    ).toBe(true);
  });
});

describe("hearth replay (the command)", () => {
  it("prints envelopes on stdout, one per line, and skipped lines on stderr with their number", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-replay-"));
    const file = join(dir, "in.jsonl");
    const lines = quietMorning();
    lines.splice(2, 0, "{broken");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const r = spawnSync(process.execPath, [MAIN, "replay", "--input", file], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`${file}:3: skipped: not JSON`);
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Envelope);
    expect(out.length).toBeGreaterThan(0);
    for (const e of out) expect(envelope.safeParse(e).success).toBe(true);
    expect(out.some((e) => e.type === "alert")).toBe(true);
  });
});
