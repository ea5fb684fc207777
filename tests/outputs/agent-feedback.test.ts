import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Agent } from "../../src/agent/agent.js";
import type { ReplyBody } from "../../src/contract/messages.js";
import { silentLogger } from "../../src/core/log.js";
import type { Outputs } from "../../src/outputs/index.js";
import { testCommand } from "../helpers/commands.js";
import { RecordingOutputs } from "../helpers/outputs.js";
import { type SimDevices, simHomeAgent } from "../helpers/sim-home.js";
import { sleep, waitFor } from "../helpers/wait.js";

// Issue 10, point 6: the person hears "help has been called" when a call or fall is raised and "help is
// coming" when the cloud acknowledges it, through the real agent (its pipeline, outbox, dispatcher).
const HOME = "test-home";
const running: Agent[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function startAgent(outputs: Outputs) {
  const stateDir = mkdtempSync(join(tmpdir(), "hearth-outputs-"));
  dirs.push(stateDir);
  // Nothing listens on port 1: the uplink only retries; commands come in through `command`.
  const { agent, devices, clock } = simHomeAgent({
    brokerUrl: "mqtt://127.0.0.1:1",
    stateDir,
    home: HOME,
    log: silentLogger(),
    host: { outputs },
  });
  await agent.start();
  running.push(agent);
  return { agent, devices: devices as SimDevices, clock };
}

const ack = (agent: Agent, alert: string, kind: string): Promise<ReplyBody> =>
  agent.command("ack", Buffer.from(JSON.stringify(testCommand(HOME, "ack", { alert, kind, by: "carer" }))));

describe("outputs through the real agent", () => {
  it("a button call: call_confirmed and the call signal once durable, help_coming on the cloud's ack", async () => {
    const fake = new RecordingOutputs();
    const { agent, devices } = await startAgent(fake);
    expect(agent.outputs).toBe(fake);
    expect(fake.calls).toEqual(["prepare"]);
    await waitFor("the scanner", () => {
      try {
        devices.button();
        return true;
      } catch {
        return false;
      }
    });
    devices.button().press("press");
    await waitFor("the call", () => agent.pipeline.alerts.findOpen("call") !== undefined);
    const call = agent.pipeline.alerts.findOpen("call");
    expect(agent.outbox.alertState(call?.alert as string)?.state).toBe("raised");
    await waitFor("the call's feedback", () => fake.calls.length >= 3);
    expect(fake.calls).toEqual(["prepare", "say:call_confirmed", "signal:call"]);
    expect((await ack(agent, call?.alert as string, "call")).status).toBe("ok");
    await waitFor("the ack's feedback", () => fake.calls.length >= 5);
    expect(fake.calls.slice(3)).toEqual(["say:help_coming", "signal:help_coming"]);
  });

  it("a fall: call_confirmed at once, help_coming on its ack; escalation and other kinds say nothing", async () => {
    const fake = new RecordingOutputs();
    const { agent, clock } = await startAgent(fake);
    agent.pipeline.readings([{ device: "radar-1", channel: "fall", value: 1, mono: clock.monotonicMs() }]);
    // Said after the uplink's publish was scheduled, not in the same turn as the write.
    expect(fake.said()).toEqual([]);
    await waitFor("the fall's feedback", () => fake.said().length === 1);
    expect(fake.said()).toEqual(["call_confirmed"]);
    const fall = agent.pipeline.alerts.findOpen("fall", "radar-1");
    agent.pipeline.alerts.transition(fall?.alert as string, "escalated", "timeout", {});
    agent.pipeline.alerts.raise("leak", {}, "water-1");
    agent.pipeline.alerts.raise("inactivity", { silence_s: 14_460 });
    await sleep(50);
    expect(fake.said()).toEqual(["call_confirmed"]);
    expect((await ack(agent, fall?.alert as string, "fall")).status).toBe("ok");
    await waitFor("the ack's feedback", () => fake.said().length === 2);
    expect(fake.said()).toEqual(["call_confirmed", "help_coming"]);
  });

  it("outputs that throw or never finish change nothing on the alert path", async () => {
    const broken: Outputs = {
      audible: true,
      say: () => {
        throw new Error("speaker on fire");
      },
      signal: () => new Promise<void>(() => {}),
      prepare: () => Promise.reject(new Error("cannot render")),
    };
    const { agent, clock } = await startAgent(broken);
    agent.pipeline.readings([{ device: "radar-1", channel: "fall", value: 1, mono: clock.monotonicMs() }]);
    const fall = agent.pipeline.alerts.findOpen("fall", "radar-1");
    expect(fall?.state).toBe("raised");
    expect(agent.outbox.alertState(fall?.alert as string)?.state).toBe("raised");
    const reply = await ack(agent, fall?.alert as string, "fall");
    expect(reply).toMatchObject({ status: "ok", data: { state: "acknowledged" } });
  });
});
