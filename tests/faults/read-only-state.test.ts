import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { runtimeDirOf } from "../helpers/sim-home.js";
import { waitFor } from "../helpers/wait.js";
import { cannotMount, mountTmpfs, type Tmpfs } from "../outbox/tmpfs.js";
import { type AgentLife, startAgent } from "./harness/agent-process.js";
import { type FaultCloud, startFaultCloud } from "./harness/cloud.js";
import { deliverAll } from "./harness/deliver.js";
import { Ledger, laneSeqReuse, seqReuse } from "./harness/ledger.js";
import { alertStates, storageHealth } from "./harness/observed.js";
import { writeRow } from "./harness/report.js";
import { reproduce, sized } from "./harness/size.js";
import { healthyLastLife, readOnlyAlerts, storageAlertTally } from "./harness/storage-lives.js";

/*
 * Scenario i: the SD card goes read-only between two lives (a real tmpfs remounted `ro`; chmod would
 * not stop root). The life before made alerts, events and readings with no broker in reach, so its
 * outbox holds a queue. The read-only life must start, run from memory, deliver that queue, take a
 * press as a call, raise a `storage` alert (read_only) and say `read_only` in its heartbeats. It keeps
 * its outbox in the runtime directory (a tmpfs that outlives the process), so the next life, on a
 * writable card again, takes that copy back: nothing the read-only life made is lost or numbered
 * twice, and its `storage` alert is cleared.
 */
const CYCLES = sized(1, 10);
const QUEUED = sized(60, 300); // alerts/events queued in the life before each read-only one
const HOME = "faults-ro";
const mountProblem = cannotMount();
let fs: Tmpfs | undefined;
afterAll(() => {
  fs?.unmount();
  if (fs) rmSync(runtimeDirOf(fs.dir), { recursive: true, force: true });
});

const calls = (cloud: FaultCloud) =>
  [...alertStates(cloud, "call").values()].filter((s) => s.has("raised")).length;

describe.runIf(mosquittoAvailable())(
  "fault: the state directory read-only at start (tmpfs remounted ro)",
  () => {
    it.skipIf(mountProblem !== undefined)(
      `${CYCLES} read-only lives, each after a life that queued ${QUEUED} alerts/events offline: queue delivered, button works, read_only reported`,
      async () => {
        const t = mountTmpfs(32 * 1024 * 1024);
        fs = t;
        const cloud = await startFaultCloud(HOME);
        const ledger = new Ledger();
        const online = { brokerUrl: cloud.url, stateDir: t.dir, home: HOME };
        const offline = { ...online, brokerUrl: "mqtt://127.0.0.1:1" };
        let life: AgentLife | undefined;
        let queuedTotal = 0;
        try {
          for (let c = 0; c < CYCLES; c++) {
            life = await startAgent(offline, ledger);
            life.send("burst");
            await life.committed(QUEUED, 120_000);
            life.send("calm");
            expect(await life.stop()).toBe(0);
            expect(ledger.readOutbox(t.dir)).toBeUndefined();
            const queued = [...ledger.durable()].filter((id) => !cloud.deliveries.has(id));
            queuedTotal += queued.length;
            t.readOnly();
            ledger.fault();

            const alertsBefore = readOnlyAlerts(cloud).length;
            const callsBefore = calls(cloud);
            life = await startAgent(online, ledger);
            const l = life;
            await waitFor(
              "the queue of the life before at the cloud",
              () => queued.every((id) => cloud.deliveries.has(id)),
              {
                timeoutMs: 60_000,
                detail: () => ({
                  missing: queued.filter((id) => !cloud.deliveries.has(id)).length,
                  stderr: l.stderr().slice(-2000),
                }),
              },
            );
            await waitFor("a read_only storage alert", () => readOnlyAlerts(cloud).length > alertsBefore, {
              timeoutMs: 30_000,
            });
            const heartbeats = storageHealth(cloud).length;
            await waitFor(
              "a heartbeat saying read_only",
              () =>
                storageHealth(cloud)
                  .slice(heartbeats)
                  .some((h) => h.state === "read_only"),
              {
                timeoutMs: 20_000,
              },
            );
            life.send("press press");
            await waitFor("a call from the read-only life", () => calls(cloud) > callsBefore, {
              timeoutMs: 20_000,
            });
            life.send("burst");
            await life.committed(30);
            life.send("calm");
            await life.drain();
            await deliverAll(cloud, ledger, 30_000);
            expect(await life.stop()).toBe(0);
            t.readWrite();
            ledger.fault();
          }
          // Writable again: the next life takes back the read-only life's copy and runs from the file.
          await healthyLastLife(online, ledger, cloud);
          life = undefined;

          const storage = storageAlertTally(cloud);
          const row = ledger.row(
            HOME,
            `${CYCLES} starts on a read-only state directory (tmpfs remounted ro)`,
            cloud,
            {
              command: reproduce("tests/faults/read-only-state.test.ts"),
              notes: {
                queuedBeforeReadOnly: queuedTotal,
                heldInMemoryOnly: ledger.committedNotInOutbox().length,
                storageAlertsRaised: storage.raised,
                storageAlertsCleared: storage.cleared,
              },
            },
          );
          writeRow(row);
          expect(row.lostIds).toEqual([]);
          expect(row.stillQueued).toBe(0);
          // Everything the read-only lives made is in the file now, and each of their alerts was closed.
          expect(ledger.committedNotInOutbox()).toEqual([]);
          expect(storage.raised).toBeGreaterThanOrEqual(CYCLES);
          expect(storage.open).toBe(0);
          expect(readOnlyAlerts(cloud).length).toBeGreaterThanOrEqual(CYCLES);
          expect(seqReuse(cloud)).toEqual([]);
          expect(laneSeqReuse(cloud)).toEqual([]);
          expect(cloud.unreadable).toEqual([]);
        } finally {
          await life?.kill();
          await cloud.close();
        }
      },
      sized(180_000, 1_800_000),
    );
  },
);
