import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Agent } from "../../src/agent/agent.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import { HOUR_MS, MINUTE_MS } from "../../src/core/time.js";
import { RecordingOutputs } from "../helpers/outputs.js";
import { simHomeAgent } from "../helpers/sim-home.js";

// Issue 10, points 5 and 6: the real agent's wiring of the pre-alarm. Its pipeline on a virtual clock
// (the agent itself is not started: no uplink, no drivers); readings are fed to the pipeline directly.
// Default config: `prealarm.enabled: auto`, day limit 7 h.
const open: { agent: Agent; dir: string }[] = [];

afterEach(() => {
  for (const { agent, dir } of open.splice(0)) {
    agent.pipeline.stop();
    agent.outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

class SilentOutputs extends RecordingOutputs {
  override readonly audible = false;
}

function home(outputs: RecordingOutputs) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-prealarm-"));
  const clock = new VirtualClock({ wallStartMs: Date.parse("2026-03-02T11:00:00+08:00") });
  const { agent } = simHomeAgent({
    brokerUrl: "mqtt://127.0.0.1:1",
    stateDir: dir,
    log: silentLogger(),
    host: { clock, netClock: clock, ids: new SeededIds("agent"), outputs },
  });
  open.push({ agent, dir });
  agent.outbox.open();
  agent.pipeline.start();
  // The meters keep reporting the same values: observed, and no activity.
  const quiet = (ms: number) => {
    for (let t = 0; t < ms; t += 10 * MINUTE_MS) {
      clock.advanceBy(10 * MINUTE_MS);
      const mono = clock.monotonicMs();
      agent.pipeline.readings([
        { device: "meter-1", channel: "power_w", value: 40, mono },
        { device: "water-1", channel: "water_total_m3", value: 100, mono },
      ]);
    }
  };
  /** What the outbox holds for the cloud, in order: alerts as kind:state, events by name (no buttons). */
  const sent = () =>
    agent.outbox
      .pending(1000)
      .sort((a, b) => a.seq - b.seq)
      .map((m) => m.envelope)
      .filter((e) => e.type === "alert" || e.type === "event");
  return { agent, clock, quiet, sent };
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe("agent: the pre-alarm with its outputs", () => {
  it("auto with an audible output: asks first, says 'cancelled' on 'I am fine'", async () => {
    const fake = new RecordingOutputs();
    const { agent, clock, quiet } = home(fake);
    // With the pre-alarm on, the day limit is the shorter one (detection.prealarm.limits, 6 h).
    quiet(6 * HOUR_MS);
    await nextTurn();
    expect(fake.said()).toEqual(["prealarm_ask"]);
    expect(fake.calls).toContain("signal:prealarm");
    expect(agent.pipeline.alerts.findOpen("inactivity")).toBeUndefined();
    agent.pipeline.button({ device: "button-1", event: "double_press", mono: clock.monotonicMs() });
    await nextTurn();
    expect(fake.said()).toEqual(["prealarm_ask", "prealarm_cancelled"]);
    quiet(HOUR_MS);
    expect(agent.pipeline.alerts.findOpen("inactivity")).toBeUndefined();
  });

  it("auto with an audible output, unanswered: the alert after the wait", async () => {
    const fake = new RecordingOutputs();
    const { agent, quiet, sent } = home(fake);
    quiet(6 * HOUR_MS);
    expect(agent.pipeline.alerts.findOpen("inactivity")).toBeUndefined();
    quiet(10 * MINUTE_MS);
    expect(agent.pipeline.alerts.findOpen("inactivity")).toBeDefined();
    const out = sent();
    const started = out.find(
      (e) => e.type === "event" && (e.body as { event: string }).event === "prealarm_started",
    );
    expect(started?.body).toMatchObject({ data: { spoken: true, wait_s: 600, rule: "max_silence_day" } });
    const alert = out.find((e) => e.type === "alert");
    expect(alert?.body).toMatchObject({
      kind: "inactivity",
      evidence: { prealarm: { waited_s: 600, spoken: true } },
    });
    await nextTurn();
    expect(fake.calls.at(-1)).toBe("signal:off");
  });

  it("auto with nothing audible: no prompt, the alert at once", async () => {
    const fake = new SilentOutputs();
    const { agent, quiet, sent } = home(fake);
    // The pre-alarm is off: the usual day limit (7 h).
    quiet(6 * HOUR_MS);
    expect(agent.pipeline.alerts.findOpen("inactivity")).toBeUndefined();
    quiet(HOUR_MS);
    await nextTurn();
    expect(agent.pipeline.alerts.findOpen("inactivity")).toBeDefined();
    const alert = sent().find((e) => e.type === "alert");
    expect(alert?.body).toMatchObject({ kind: "inactivity", state: "raised" });
    expect(
      (alert?.body as { evidence?: Record<string, unknown> } | undefined)?.evidence?.prealarm,
    ).toBeUndefined();
    expect(fake.said()).toEqual([]);
  });
});
