import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Agent } from "../../src/agent/agent.js";
import type { ReplyBody } from "../../src/contract/messages.js";
import { silentLogger } from "../../src/core/log.js";
import { DAY_MS } from "../../src/core/time.js";
import { OTHER_KEY, testCommand } from "../helpers/commands.js";
import { simHomeAgent } from "../helpers/sim-home.js";

// Defect 4 of issue 9, each reproduction against the real Agent: its dispatcher, handlers and pipeline.
const HOME = "test-home";
const running: Agent[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function startAgent(o: { extraCloud?: string; synced?: boolean; stateDir?: string } = {}) {
  const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), "hearth-cmd-"));
  if (o.stateDir === undefined) dirs.push(stateDir);
  // Port 1 on loopback: nothing listens, so the uplink only retries; commands come in through `command`.
  const { agent, clock } = simHomeAgent({
    brokerUrl: "mqtt://127.0.0.1:1",
    stateDir,
    home: HOME,
    ...(o.extraCloud !== undefined ? { extraCloud: o.extraCloud } : {}),
    log: silentLogger(),
    synced: () => o.synced ?? true,
  });
  await agent.start();
  running.push(agent);
  return { agent, stateDir, clock };
}

const send = (agent: Agent, name: string, cmd: Record<string, unknown>): Promise<ReplyBody> =>
  agent.command(name, Buffer.from(JSON.stringify(cmd)));
const errorCode = (r: ReplyBody) => (r.status === "error" ? r.error.code : "ok");

describe("forged and replayed commands (issue 9, defect 4)", () => {
  it("accepts a command id once: the same id again is a replay", async () => {
    const { agent } = await startAgent();
    const cmd = testCommand(HOME, "ping", {}, { id: "cmd-replayed-0001" });
    expect(errorCode(await send(agent, "ping", cmd))).toBe("ok");
    expect(await send(agent, "ping", cmd)).toMatchObject({
      command_id: "cmd-replayed-0001",
      status: "error",
      error: { code: "replayed" },
    });
  });

  it("remembers ids across a restart inside their window", async () => {
    const first = await startAgent();
    const until = new Date(Date.now() + DAY_MS).toISOString();
    const cmd = testCommand(HOME, "watch", { level: "heightened", until }, { id: "cmd-restart-0001" });
    expect(errorCode(await send(first.agent, "watch", cmd))).toBe("ok");
    await first.agent.stop();
    running.splice(running.indexOf(first.agent), 1);
    const second = await startAgent({ stateDir: first.stateDir });
    expect(errorCode(await send(second.agent, "watch", cmd))).toBe("replayed");
  });

  it("refuses a command without expires, or living longer than 10 minutes", async () => {
    const { agent } = await startAgent();
    const noExpires = await send(agent, "ping", testCommand(HOME, "ping", {}, { without: ["expires"] }));
    expect(noExpires).toMatchObject({ status: "error", error: { code: "invalid" } });
    expect(noExpires.status === "error" && noExpires.error.message).toMatch(/expires/);
    expect(errorCode(await send(agent, "ping", testCommand(HOME, "ping", {}, { ttlMs: DAY_MS })))).toBe(
      "invalid",
    );
  });

  it("refuses commands dated 2020 (expired) and 2099 (ahead of the clock)", async () => {
    const { agent } = await startAgent();
    const old = testCommand(HOME, "ping", {}, { nowMs: Date.parse("2020-01-01T00:00:00Z") });
    const future = testCommand(HOME, "ping", {}, { nowMs: Date.parse("2099-01-01T00:00:00Z") });
    expect(errorCode(await send(agent, "ping", old))).toBe("expired");
    expect(errorCode(await send(agent, "ping", future))).toBe("invalid");
  });

  it("refuses unsigned, forged and re-addressed commands", async () => {
    const { agent } = await startAgent();
    expect(errorCode(await send(agent, "ping", testCommand(HOME, "ping", {}, { key: null })))).toBe(
      "unsigned",
    );
    expect(errorCode(await send(agent, "ping", testCommand(HOME, "ping", {}, { key: OTHER_KEY })))).toBe(
      "bad_signature",
    );
    // Signed for another home, or for another command name: the topic is inside the signature.
    expect(errorCode(await send(agent, "ping", testCommand("other-home", "ping", {})))).toBe("bad_signature");
    expect(errorCode(await send(agent, "ping", testCommand(HOME, "watch", {})))).toBe("bad_signature");
    // An altered body.
    const altered = { ...testCommand(HOME, "ping", {}), id: "cmd-altered-00001" };
    expect(errorCode(await send(agent, "ping", altered))).toBe("bad_signature");
  });

  it("keeps inactivity detection on against a watch away without until, forged or signed", async () => {
    const { agent } = await startAgent();
    const forged = testCommand(HOME, "watch", { level: "away" }, { key: OTHER_KEY });
    expect(errorCode(await send(agent, "watch", forged))).toBe("bad_signature");
    expect(errorCode(await send(agent, "watch", testCommand(HOME, "watch", { level: "away" })))).toBe(
      "invalid",
    );
    const tooFar = new Date(Date.now() + 31 * DAY_MS).toISOString();
    expect(
      errorCode(await send(agent, "watch", testCommand(HOME, "watch", { level: "away", until: tooFar }))),
    ).toBe("invalid");
    expect(agent.pipeline.watch().level).toBe("normal");
    const fine = new Date(Date.now() + 2 * DAY_MS).toISOString();
    expect(
      errorCode(await send(agent, "watch", testCommand(HOME, "watch", { level: "away", until: fine }))),
    ).toBe("ok");
    expect(agent.pipeline.watch().level).toBe("away");
  });
});

describe("defect 4 as reproduced on main: unsigned commands to a gateway configured insecure", () => {
  // The same attacks without signatures, so each check is seen on its own (on main they all passed).
  const INSECURE = "  commands: { insecure: true }\n";
  const plain = (name: string, body: unknown, o: Parameters<typeof testCommand>[3] = {}) =>
    testCommand(HOME, name, body, { key: null, ...o });

  it("same id twice, no expires, dated 2020 or 2099, watch away without until: all refused", async () => {
    const { agent } = await startAgent({ extraCloud: INSECURE });
    const once = plain("ping", {}, { id: "cmd-plain-000001" });
    expect(errorCode(await send(agent, "ping", once))).toBe("ok");
    expect(errorCode(await send(agent, "ping", once))).toBe("replayed");
    expect(errorCode(await send(agent, "ping", plain("ping", {}, { without: ["expires"] })))).toBe("invalid");
    const y2020 = Date.parse("2020-01-01T00:00:00Z");
    const y2099 = Date.parse("2099-01-01T00:00:00Z");
    expect(errorCode(await send(agent, "ping", plain("ping", {}, { nowMs: y2020 })))).toBe("expired");
    expect(errorCode(await send(agent, "ping", plain("ping", {}, { nowMs: y2099 })))).toBe("invalid");
    expect(errorCode(await send(agent, "watch", plain("watch", { level: "away" })))).toBe("invalid");
    expect(agent.pipeline.watch().level).toBe("normal");
  });

  it("an ack without the alert's kind closes nothing", async () => {
    const { agent } = await startAgent({ extraCloud: INSECURE });
    const call = agent.pipeline.alerts.raise("call", { note: "test" }, "button-1");
    expect(errorCode(await send(agent, "ack", plain("ack", { alert: call.alert })))).toBe("invalid");
    expect(errorCode(await send(agent, "ack", plain("ack", { alert: call.alert, kind: "test" })))).toBe(
      "kind_mismatch",
    );
    expect(agent.pipeline.alerts.get(call.alert)?.state).toBe("raised");
  });
});

describe("ack names the kind it expects (issue 9, defect 4)", () => {
  it("an ack of another kind, or of no kind, leaves a call open and republished", async () => {
    const { agent } = await startAgent();
    const call = agent.pipeline.alerts.raise("call", { note: "test" }, "button-1");
    const wrong = await send(
      agent,
      "ack",
      testCommand(HOME, "ack", { alert: call.alert, kind: "inactivity" }),
    );
    expect(errorCode(wrong)).toBe("kind_mismatch");
    // A kind this gateway does not know (a receiver built for a later one): a mismatch too.
    const unknown = await send(
      agent,
      "ack",
      testCommand(HOME, "ack", { alert: call.alert, kind: "smoke_alarm" }),
    );
    expect(errorCode(unknown)).toBe("kind_mismatch");
    expect(errorCode(await send(agent, "ack", testCommand(HOME, "ack", { alert: call.alert })))).toBe(
      "invalid",
    );
    expect(agent.pipeline.alerts.get(call.alert)?.state).toBe("raised");
    // Still open in the outbox: republished after every reconnect until the right ack.
    expect(agent.outbox.openAlerts().map((m) => (m.envelope.body as { alert: string }).alert)).toContain(
      call.alert,
    );
    const right = await send(
      agent,
      "ack",
      testCommand(HOME, "ack", { alert: call.alert, kind: "call", by: "carer" }),
    );
    expect(right).toMatchObject({
      status: "ok",
      data: { alert: call.alert, kind: "call", state: "acknowledged" },
    });
    expect(agent.pipeline.alerts.get(call.alert)).toBeUndefined();
  });

  it("an ack of another kind, or of no kind, leaves an inactivity alert open (its silence not restarted)", async () => {
    const { agent } = await startAgent();
    const alert = agent.pipeline.alerts.raise("inactivity", { silence_s: 14_460 });
    // Only Pipeline.acknowledge restarts the silence; an alert still raised was never acknowledged.
    const wrong = await send(agent, "ack", testCommand(HOME, "ack", { alert: alert.alert, kind: "call" }));
    expect(errorCode(wrong)).toBe("kind_mismatch");
    expect(errorCode(await send(agent, "ack", testCommand(HOME, "ack", { alert: alert.alert })))).toBe(
      "invalid",
    );
    expect(agent.pipeline.alerts.get(alert.alert)?.state).toBe("raised");
  });
});

describe("a fall is call-class for the cloud's ack (issue 10)", () => {
  it("an ack of kind call leaves a fall open and republished; an ack of kind fall closes it", async () => {
    const { agent, clock } = await startAgent();
    agent.pipeline.readings([{ device: "radar-1", channel: "fall", value: 1, mono: clock.monotonicMs() }]);
    const fall = agent.pipeline.alerts.findOpen("fall", "radar-1");
    if (!fall) throw new Error("no fall alert raised");
    const wrong = await send(agent, "ack", testCommand(HOME, "ack", { alert: fall.alert, kind: "call" }));
    expect(errorCode(wrong)).toBe("kind_mismatch");
    expect(agent.outbox.openAlerts().map((m) => (m.envelope.body as { alert: string }).alert)).toContain(
      fall.alert,
    );
    const right = await send(agent, "ack", testCommand(HOME, "ack", { alert: fall.alert, kind: "fall" }));
    expect(right).toMatchObject({
      status: "ok",
      data: { alert: fall.alert, kind: "fall", state: "acknowledged" },
    });
    expect(agent.outbox.openAlerts().map((m) => (m.envelope.body as { alert: string }).alert)).not.toContain(
      fall.alert,
    );
  });
});

describe("commands while the clock is unsynced, and without a key", () => {
  it("refuses state-changing commands until the clock syncs; ping still answers", async () => {
    const { agent } = await startAgent({ synced: false });
    const call = agent.pipeline.alerts.raise("call", { note: "test" }, "button-1");
    const ack = await send(agent, "ack", testCommand(HOME, "ack", { alert: call.alert, kind: "call" }));
    expect(errorCode(ack)).toBe("clock_unsynced");
    expect(agent.pipeline.alerts.get(call.alert)?.state).toBe("raised");
    expect(errorCode(await send(agent, "ping", testCommand(HOME, "ping", {})))).toBe("ok");
  });

  it("without a key refuses every command unless the config says insecure, and says so in status", async () => {
    const refusing = await startAgent({ extraCloud: "" });
    expect(errorCode(await send(refusing.agent, "ping", testCommand(HOME, "ping", {}, { key: null })))).toBe(
      "refused",
    );
    expect(refusing.agent.status().security).toEqual({ commands: "refused", insecure_buttons: [] });
    const open = await startAgent({ extraCloud: "  commands: { insecure: true }\n" });
    expect(errorCode(await send(open.agent, "ping", testCommand(HOME, "ping", {}, { key: null })))).toBe(
      "ok",
    );
    expect(open.agent.status().security).toMatchObject({ commands: "insecure" });
    const signed = await startAgent();
    expect(signed.agent.status().security).toMatchObject({ commands: "signed" });
  });
});
