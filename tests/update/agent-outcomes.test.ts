import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { writeOutcome } from "../../src/lifecycle/outcomes.js";
import { freePort } from "../helpers/brokers.js";
import { simHomeAgent } from "../helpers/sim-home.js";

/** No broker answers: nothing is delivered, so what the outbox holds is everything the agents wrote. */
let dead: string;
beforeAll(async () => {
  dead = `mqtt://127.0.0.1:${await freePort()}`;
});

describe("what the root helper left while the agent was restarted", () => {
  it("becomes events in the next agent's outbox at start, each once", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-outcome-"));
    writeOutcome(stateDir, "0001-update", {
      event: "update_failed",
      data: { from: "1.0.0", to: "1.1.0", reason: "not connected to a broker", rolled_back: true },
    });
    writeOutcome(stateDir, "0002-config", { event: "config_applied", data: { command_id: "c-1" } });
    const events = async () => {
      const { agent } = simHomeAgent({ brokerUrl: dead, stateDir, log: silentLogger() });
      await agent.start();
      try {
        return agent.outbox
          .pending(1000)
          .map((m) => m.envelope.body as { event?: string; data?: unknown })
          .filter((b) => b.event === "update_failed" || b.event === "config_applied");
      } finally {
        await agent.stop();
      }
    };
    const first = await events();
    expect(first).toEqual([
      {
        event: "update_failed",
        data: { from: "1.0.0", to: "1.1.0", reason: "not connected to a broker", rolled_back: true },
      },
      { event: "config_applied", data: { command_id: "c-1" } },
    ]);
    // A second start finds no outcome files: the same two events, not four.
    expect(await events()).toEqual(first);
    expect(readdirSync(join(stateDir, "outcomes"))).toEqual([]);
  });
});
