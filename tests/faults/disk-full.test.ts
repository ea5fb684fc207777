import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { sleep, waitFor } from "../helpers/wait.js";
import { cannotMount, mountTmpfs, type Tmpfs } from "../outbox/tmpfs.js";
import { type AgentLife, startAgent } from "./harness/agent-process.js";
import { startFaultCloud } from "./harness/cloud.js";
import { deliverAll } from "./harness/deliver.js";
import { Ledger, laneSeqReuse, seqReuse } from "./harness/ledger.js";
import { alertStates, storageHealth } from "./harness/observed.js";
import { writeRow } from "./harness/report.js";
import { reproduce, sized } from "./harness/size.js";

/*
 * Scenario f: the state directory is a small real filesystem (a 16 MiB tmpfs) filled to the last block
 * while calls, events and readings flow, then freed, several times. While the process lives no alert
 * may be lost (what the disk refuses is held in memory and published directly); a `storage` alert is
 * raised and cleared each time, and the heartbeats tell the cloud the storage state and the telemetry
 * shed. Then the stated limit: the disk filled again and the agent SIGKILLed while it holds messages in
 * memory only; what that costs is counted, not hidden.
 */
const CYCLES = sized(1, 10); // fill-and-free cycles with the process alive
const WHILE_FULL = sized(60, 300); // alerts/events committed in each cycle while the disk is full
const HOME = "faults-full";
// The outbox grows through the cycles (delivered rows stay for the retention window): the full size
// needs room for it beside the ballast + 1 MiB the agent wants free before it clears the alert.
const DISK_MIB = sized(16, 96);
const mountProblem = cannotMount();
let fs: Tmpfs | undefined;
afterAll(() => fs?.unmount());

const outboxBytes = (d: string) =>
  Object.fromEntries(readdirSync(d).map((n) => [n, statSync(join(d, n)).size]));

/** Fills the disk; again once the agent freed its ballast, so the fault lasts. */
async function fillUntilRaised(life: AgentLife, cloudRaised: () => number, before: number, t: Tmpfs) {
  t.fill();
  await waitFor("a storage alert raised at the cloud", () => cloudRaised() > before, {
    timeoutMs: 60_000,
    detail: () => ({ stderr: life.stderr().slice(-2000) }),
  });
  t.fill();
}

describe.runIf(mosquittoAvailable())("fault: disk filled and freed (tmpfs)", () => {
  it.skipIf(mountProblem !== undefined)(
    `${CYCLES} fill/free cycles while alive (${WHILE_FULL} alerts/events each while full), then a kill while full: no alert lost while alive, the loss at the kill counted`,
    async () => {
      const t = mountTmpfs(DISK_MIB * 1024 * 1024);
      fs = t;
      const cloud = await startFaultCloud(HOME);
      const ledger = new Ledger();
      const options = { brokerUrl: cloud.url, stateDir: t.dir, home: HOME };
      const storage = () => alertStates(cloud, "storage");
      const raised = () => [...storage().values()].filter((s) => s.has("raised")).length;
      const cleared = () => [...storage().values()].filter((s) => s.has("cleared")).length;
      let life = await startAgent(options, ledger);
      try {
        await waitFor("the agent online", () => cloud.idsOfType("status").size > 0, { timeoutMs: 30_000 });
        for (let c = 0; c < CYCLES; c++) {
          life.send("burst");
          await life.committed(30);
          const before = raised();
          await fillUntilRaised(life, raised, before, t);
          ledger.fault();
          await life.committed(WHILE_FULL, 120_000);
          life.send("calm");
          await waitFor(
            "a heartbeat saying storage is not ok",
            () => storageHealth(cloud).some((h) => h.state === "memory" || h.state === "degraded"),
            { timeoutMs: 20_000 },
          );
          rmSync(`${t.dir}/filler`);
          // The agent's own check (every 15 s) writes the held messages back and clears the alert.
          await waitFor("the storage alert cleared", () => cleared() > c, {
            timeoutMs: 60_000,
            detail: () => ({ cycle: c, storage: storageHealth(cloud).at(-1), outbox: outboxBytes(t.dir) }),
          });
          await life.drain(120_000);
        }
        await waitFor(
          "a heartbeat saying storage is ok again",
          () => storageHealth(cloud).at(-1)?.state === "ok",
          {
            timeoutMs: 20_000,
          },
        );
        const shedSeen = Math.max(0, ...storageHealth(cloud).map((h) => h.shed_telemetry ?? 0));
        const heldSeen = Math.max(0, ...storageHealth(cloud).map((h) => h.memory_lane ?? 0));
        const statesSeen = [...new Set(storageHealth(cloud).map((h) => h.state))].join(", ");
        await deliverAll(cloud, ledger, 60_000);
        // Every alert and event committed while the process lived is at the cloud.
        const aliveLost = ledger.committedInOrder().filter((id) => !cloud.deliveries.has(id));
        expect(aliveLost).toEqual([]);
        expect(await life.stop()).toBe(0);
        ledger.readOutbox(t.dir);
        // Not in the file: delivered rows shed to make room, nothing else.
        expect(ledger.committedNotInOutbox().filter((id) => !cloud.deliveries.has(id))).toEqual([]);
        const aliveCommitted = new Set(ledger.committedInOrder());

        // The stated limit: killed while it holds messages the disk refused.
        life = await startAgent(options, ledger);
        life.send("burst");
        await life.committed(30);
        await fillUntilRaised(life, raised, raised(), t);
        ledger.fault();
        await life.committed(WHILE_FULL, 120_000);
        await life.kill();
        ledger.fault();
        ledger.readOutbox(t.dir);
        // Not in the file after the kill: held in memory only, or delivered and then shed for room.
        const heldAtKill = ledger.committedNotInOutbox().filter((id) => !aliveCommitted.has(id));
        rmSync(`${t.dir}/filler`);
        // What reached the broker before the kill arrives; the rest is what the kill cost.
        await sleep(2_000);
        life = await startAgent(options, ledger);
        await life.drain(120_000);
        await deliverAll(cloud, ledger, 60_000);
        expect(await life.stop()).toBe(0);
        ledger.readOutbox(t.dir);
        const lost = ledger.lostIds(cloud);
        const heldAtKillSet = new Set(heldAtKill);

        const row = ledger.row(
          HOME,
          `${t.dir} (${DISK_MIB} MiB tmpfs) filled and freed ${CYCLES}×, then filled and SIGKILLed`,
          cloud,
          {
            command: reproduce("tests/faults/disk-full.test.ts"),
            notes: {
              storageAlertsRaised: raised(),
              storageAlertsCleared: cleared(),
              heartbeatStorageStates: statesSeen,
              maxShedTelemetryInHeartbeat: shedSeen,
              maxMemoryLaneInHeartbeat: heldSeen,
              notInFileAtKill: heldAtKill.length,
              lostHeldInMemoryAtKill: lost.filter((id) => heldAtKillSet.has(id)).length,
              lostWhileAlive: lost.filter((id) => aliveCommitted.has(id)).length,
            },
          },
        );
        writeRow(row);
        // Only what was held in memory at the kill may be lost; nothing from the lives that ended well.
        expect(lost.filter((id) => !heldAtKillSet.has(id))).toEqual([]);
        expect(raised()).toBe(CYCLES + 1);
        expect(cleared()).toBe(CYCLES + 1);
        expect(statesSeen).toMatch(/memory|degraded/);
        expect(seqReuse(cloud)).toEqual([]);
        expect(laneSeqReuse(cloud)).toEqual([]);
        expect(cloud.unreadable).toEqual([]);
      } finally {
        await life.kill();
        await cloud.close();
      }
    },
    sized(240_000, 1_800_000),
  );
});
