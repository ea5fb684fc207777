import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { sleep, waitFor } from "../helpers/wait.js";
import { startAgent } from "./harness/agent-process.js";
import { startFaultCloud } from "./harness/cloud.js";
import { deliverAll } from "./harness/deliver.js";
import { Ledger, seqReuse } from "./harness/ledger.js";
import { writeRow } from "./harness/report.js";
import { reproduce, sized } from "./harness/size.js";

/*
 * Scenario b: the broker away for a long stretch, accelerated by making in a minute what a home makes
 * in days (calls, events, readings as fast as the agent takes them), then back, and restarted again and
 * again while the agent replays its backlog. Every durable alert and event must arrive, and every
 * committed reading; alerts before the backlog of telemetry.
 */
const BACKLOG = sized(1_500, 20_000); // alerts and events committed while the broker is away
const RESTARTS = sized(6, 40); // broker restarts while the backlog replays
const HOME = "faults-outage";
const dir = mkdtempSync(join(tmpdir(), "hearth-faults-outage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(mosquittoAvailable())("fault: broker away, then restarted during replay", () => {
  it(
    `${BACKLOG} alerts/events made while away, ${RESTARTS} restarts during replay: nothing durable lost`,
    async () => {
      const cloud = await startFaultCloud(HOME);
      const ledger = new Ledger();
      const agent = await startAgent({ brokerUrl: cloud.url, stateDir: dir, home: HOME }, ledger);
      try {
        await waitFor("the agent online", () => cloud.idsOfType("status").size > 0, { timeoutMs: 30_000 });
        await cloud.broker.stop();
        ledger.fault();
        agent.send("burst");
        await agent.committed(BACKLOG, sized(120_000, 1_800_000));
        agent.send("calm");
        const deliveredBefore = cloud.deliveries.size;
        await cloud.broker.restart();
        // Each restart comes once the replay has moved on since the last one, so every one cuts it.
        for (let r = 0; r < RESTARTS; r++) {
          const mark = cloud.deliveries.size;
          await waitFor("the replay to move on", () => cloud.deliveries.size > mark + 20, {
            timeoutMs: 60_000,
            intervalMs: 20,
          });
          await cloud.broker.restart();
          ledger.fault();
          await sleep(50);
        }
        await agent.drain(sized(180_000, 1_800_000));
        await deliverAll(cloud, ledger, 120_000);
        expect(await agent.stop()).toBe(0);
        ledger.readOutbox(dir);
        await deliverAll(cloud, ledger, 30_000);

        const row = ledger.row(
          HOME,
          `broker away for a backlog of ${BACKLOG}, then ${RESTARTS} restarts during replay`,
          cloud,
          {
            command: reproduce("tests/faults/broker-outage.test.ts"),
            notes: { restarts: RESTARTS, deliveredBeforeReturn: deliveredBefore },
          },
        );
        writeRow(row);
        expect(ledger.committedNotInOutbox()).toEqual([]);
        expect(row.lostIds).toEqual([]);
        expect(row.stillQueued).toBe(0);
        expect(row.alertsEventsMade).toBeGreaterThanOrEqual(BACKLOG);
        expect(row.telemetryDelivered + row.telemetryStillQueued).toBe(row.telemetryDurable);
        // Nothing was shed: the agent lived throughout, so every reading was committed.
        expect(row.telemetryShed).toBe(0);
        expect(seqReuse(cloud)).toEqual([]);
        // Priority replay: in the broker life where the first reading arrived, every backlog alert and
        // event it delivered came before that reading. An alert or event may come after it only in a
        // later life: in flight when a restart cut it, and sent again first thing after reconnecting.
        const order = [...cloud.deliveries.values()].slice(deliveredBefore).map((l) => l[0]);
        const firstTelemetry = order.findIndex((d) => d?.type === "telemetry");
        const lifeOfFirst = order[firstTelemetry]?.brokerLife ?? -1;
        const afterFirst = order
          .slice(firstTelemetry)
          .filter((d) => d?.type === "alert" || d?.type === "event");
        expect(firstTelemetry).toBeGreaterThan(0);
        expect(afterFirst.filter((d) => (d?.brokerLife ?? 0) <= lifeOfFirst)).toEqual([]);
        expect(cloud.unreadable).toEqual([]);
      } finally {
        await agent.kill();
        await cloud.close();
      }
    },
    sized(240_000, 3_600_000),
  );
});
