import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlertBody, EventBody } from "../../src/contract/messages.js";
import { controlRequest } from "../../src/control/client.js";
import { socketPath } from "../../src/control/socket.js";
import { silentLogger } from "../../src/core/log.js";
import { startAedes, subscribe, type TestBroker } from "../helpers/brokers.js";
import { hearth } from "../helpers/cli.js";
import { simHomeAgent } from "../helpers/sim-home.js";
import { waitFor } from "../helpers/wait.js";

describe("commissioning mode in the running agent", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it("an announced press goes out as test, an unannounced one in the same window as a real call; the heartbeat and status say so", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-commission-"));
    const { agent, devices } = simHomeAgent({
      brokerUrl: broker.url,
      stateDir,
      home: "home-com",
      log: silentLogger(),
    });
    const alerts: AlertBody[] = [];
    const events: EventBody[] = [];
    const putAlert = agent.outbox.putAlert.bind(agent.outbox);
    const putEvent = agent.outbox.putEvent.bind(agent.outbox);
    agent.outbox.putAlert = (b) => {
      alerts.push(b);
      return putAlert(b);
    };
    agent.outbox.putEvent = (b) => {
      events.push(b);
      return putEvent(b);
    };
    try {
      await agent.start();
      // Through the CLI, as the installer would: the control socket, with the socket's rights.
      const started = await hearth([
        "commission",
        "start",
        "--state-dir",
        stateDir,
        "--by",
        "Ana",
        "--for",
        "90m",
      ]);
      expect(started.code).toBe(0);
      expect(JSON.parse(started.stdout)).toMatchObject({ by: "Ana" });
      expect(events.find((e) => e.event === "commissioning_started")?.data).toMatchObject({ by: "Ana" });

      const announced = await hearth([
        "commission",
        "expect-press",
        "--state-dir",
        stateDir,
        "--within",
        "2m",
      ]);
      expect(announced.code).toBe(0);
      devices.button().press("press");
      await waitFor("the announced press", () => alerts.length >= 1);
      expect(alerts[0]).toMatchObject({
        kind: "test",
        device: "button-1",
        evidence: { as: "call", announced: true },
      });

      devices.button().press("press");
      await waitFor("the second press", () => alerts.length >= 2);
      expect(alerts[1]).toMatchObject({ kind: "call", state: "raised", device: "button-1" });
      expect(alerts[1]?.evidence).not.toHaveProperty("commissioning");

      // The heartbeat says so too: the cloud sees who commissions the home and until when.
      const sub = await subscribe(broker.url, "hearth/v1/home-com/status");
      try {
        await sub.waitFor(
          (m) =>
            m.some(
              (x) =>
                (x.envelope.body as { health?: { commissioning?: { by?: string } } }).health?.commissioning
                  ?.by === "Ana",
            ),
          10_000,
        );
      } finally {
        await sub.close();
      }
      const status = (await controlRequest(socketPath(stateDir), { cmd: "status" })) as {
        commissioning: { by: string; until: string } | null;
      };
      expect(status.commissioning?.by).toBe("Ana");

      const stopped = await hearth(["commission", "stop", "--state-dir", stateDir, "--by", "Ana"]);
      expect(JSON.parse(stopped.stdout)).toEqual({ ended: true });
      expect(events.at(-1)).toMatchObject({ event: "commissioning_ended", data: { reason: "stopped" } });
      // Outside the mode an announcement is refused: a press is then always a call.
      const refused = await hearth(["commission", "expect-press", "--state-dir", stateDir]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/not commissioning/);
    } finally {
      await agent.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("wrong usage exits 2", async () => {
    const r = await hearth(["commission", "start", "--state-dir", "/nonexistent", "--for", "soon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--for soon: not a duration/);
  });
});
