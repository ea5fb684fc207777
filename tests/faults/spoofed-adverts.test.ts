import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { sleep, waitFor } from "../helpers/wait.js";
import { startAgent } from "./harness/agent-process.js";
import { type FaultCloud, startFaultCloud } from "./harness/cloud.js";
import { deliverAll } from "./harness/deliver.js";
import { Ledger } from "./harness/ledger.js";
import { writeRow } from "./harness/report.js";
import { reproduce, sized } from "./harness/size.js";

/*
 * Scenario e: a spoofer copies the keyed button's MAC and sends plain adverts: "press" to raise a fake
 * call, "double_press" to say "I am fine" and clear a real alarm. The agent in its own process must
 * refuse them all, while the real button's encrypted presses keep working.
 */
const SPOOFS = sized(20, 500);
const HOME = "faults-spoof";
const dir = mkdtempSync(join(tmpdir(), "hearth-faults-spoof-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const calls = (cloud: FaultCloud, state: string) =>
  [...cloud.deliveries.values()].filter(
    (l) => l[0]?.type === "alert" && l[0].body.kind === "call" && l[0].body.state === state,
  ).length;
/** What the button made: its alerts and its press events (the meters' events are none of this). */
const fromButton = (cloud: FaultCloud) => {
  const firsts = [...cloud.deliveries.values()].map((l) => l[0]);
  return {
    alerts: firsts.filter((d) => d?.type === "alert" && d.body.kind === "call").length,
    presses: firsts.filter((d) => d?.type === "event" && d.body.event === "button").length,
  };
};

describe.runIf(mosquittoAvailable())("fault: spoofed plain adverts from a keyed MAC", () => {
  it(`${SPOOFS} plain presses and double presses: no fake call, no call cleared; real presses work`, async () => {
    const cloud = await startFaultCloud(HOME);
    const ledger = new Ledger();
    const agent = await startAgent({ brokerUrl: cloud.url, stateDir: dir, home: HOME }, ledger);
    try {
      agent.send("press press");
      await waitFor("the real call raised, its press recorded", () => fromButton(cloud).presses === 1, {
        timeoutMs: 20_000,
      });
      const before = fromButton(cloud);
      for (let i = 0; i < SPOOFS; i++) {
        agent.send(i % 2 === 0 ? "spoof double_press" : "spoof press");
        ledger.fault();
      }
      await waitFor("every spoofed advert on air", () => agent.seen.adverts >= SPOOFS + 1, {
        timeoutMs: 20_000,
      });
      // Give a wrongly accepted advert time to reach the cloud; then the real button says "I am fine".
      await sleep(1_000);
      const afterSpoofs = fromButton(cloud);
      agent.send("press double_press");
      await waitFor("the real 'I am fine' heard", () => fromButton(cloud).presses > afterSpoofs.presses, {
        timeoutMs: 20_000,
      });
      await agent.drain();
      await deliverAll(cloud, ledger, 20_000);
      expect(await agent.stop()).toBe(0);
      ledger.readOutbox(dir);

      const row = ledger.row(
        HOME,
        `${SPOOFS} plain adverts (press, double_press) from the keyed MAC`,
        cloud,
        {
          command: reproduce("tests/faults/spoofed-adverts.test.ts"),
          notes: {
            spoofedAccepted: afterSpoofs.alerts - before.alerts + afterSpoofs.presses - before.presses,
          },
        },
      );
      writeRow(row);
      expect(afterSpoofs).toEqual(before);
      expect(calls(cloud, "raised")).toBe(1);
      expect(row.lostIds).toEqual([]);
      expect(cloud.unreadable).toEqual([]);
    } finally {
      await agent.kill();
      await cloud.close();
    }
  }, 120_000);
});
