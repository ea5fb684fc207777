import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { runtimeDirOf } from "../helpers/sim-home.js";
import { waitFor } from "../helpers/wait.js";
import { cannotFailExt4, type FailingExt4, mountFailingExt4 } from "../outbox/ext4.js";
import { type AgentLife, startAgent } from "./harness/agent-process.js";
import { type FaultCloud, startFaultCloud } from "./harness/cloud.js";
import { Ledger, laneSeqReuse, seqReuse } from "./harness/ledger.js";
import { alertStates, storageHealth } from "./harness/observed.js";
import { writeRow } from "./harness/report.js";
import { reproduce, sized } from "./harness/size.js";
import { healthyLastLife, readOnlyAlerts, storageAlertTally } from "./harness/storage-lives.js";

/*
 * The SD card's filesystem turns read-only under the running agent (ext4 `errors=remount-ro` after an
 * error, raised through the kernel's trigger_fs_error) in the middle of a burst of calls, events and
 * readings. The agent must keep its alert path: move its outbox to the runtime directory, take a
 * press as a call, raise a `storage` alert (read_only) and say so in its heartbeats. Every other
 * cycle it is then SIGKILLed while read-only. The card is repaired (unmount, e2fsck, mount) and the
 * next life takes the copy back: nothing lost, even after the kill, no seq numbered twice, every
 * storage alert cleared.
 */
const CYCLES = sized(4, 10);
const WHILE_RO = sized(40, 300); // alerts/events committed in each cycle after the card went read-only
const HOME = "faults-ro-mid";
const problem = cannotFailExt4();
let fs: FailingExt4 | undefined;
afterAll(() => {
  if (fs) rmSync(runtimeDirOf(fs.dir), { recursive: true, force: true });
  fs?.unmount();
});

const calls = (cloud: FaultCloud) =>
  [...alertStates(cloud, "call").values()].filter((s) => s.has("raised")).length;

describe.runIf(mosquittoAvailable())(
  "fault: the filesystem turns read-only while the agent runs (ext4)",
  () => {
    it.skipIf(problem !== undefined)(
      `${CYCLES} cycles: read-only mid-burst (${WHILE_RO} alerts/events after it), every other one ended by SIGKILL, card repaired: nothing lost, no seq reused, storage alerts cleared`,
      async () => {
        const card = mountFailingExt4(64 * 1024 * 1024);
        fs = card;
        const cloud = await startFaultCloud(HOME);
        const ledger = new Ledger();
        const options = { brokerUrl: cloud.url, stateDir: card.dir, home: HOME };
        let life: AgentLife | undefined;
        let kills = 0;
        try {
          for (let c = 0; c < CYCLES; c++) {
            life = await startAgent(options, ledger);
            const l = life;
            life.send("burst");
            await life.committed(30);
            const alertsBefore = readOnlyAlerts(cloud).length;
            const callsBefore = calls(cloud);
            card.failReadOnly();
            ledger.fault();
            await life.committed(WHILE_RO, 120_000);
            await waitFor("a read_only storage alert", () => readOnlyAlerts(cloud).length > alertsBefore, {
              timeoutMs: 30_000,
              detail: () => ({ stderr: l.stderr().slice(-2000) }),
            });
            const heartbeats = storageHealth(cloud).length;
            await waitFor(
              "a heartbeat saying read_only",
              () =>
                storageHealth(cloud)
                  .slice(heartbeats)
                  .some((h) => h.state === "read_only" && h.memory_lane === 0),
              { timeoutMs: 20_000 },
            );
            life.send("press press");
            await waitFor("a call while read-only", () => calls(cloud) > callsBefore, { timeoutMs: 20_000 });
            if (c % 2 === 1) {
              // Killed mid-burst while read-only: the runtime copy holds what it made.
              await life.committed(WHILE_RO / 4, 60_000);
              await life.kill();
              kills++;
            } else {
              life.send("calm");
              await life.drain(120_000);
              expect(await life.stop()).toBe(0);
            }
            ledger.fault();
            card.repair();
          }
          await healthyLastLife(options, ledger, cloud, 120_000);
          life = undefined;

          const storage = storageAlertTally(cloud);
          const row = ledger.row(
            HOME,
            `${CYCLES}× the card's ext4 turned read-only mid-burst (errors=remount-ro), ${kills} of them ended by SIGKILL, then repaired`,
            cloud,
            {
              command: reproduce("tests/faults/read-only-mid-run.test.ts"),
              notes: {
                kills,
                notInFileAtEnd: ledger.committedNotInOutbox().length,
                storageAlertsRaised: storage.raised,
                storageAlertsCleared: storage.cleared,
              },
            },
          );
          writeRow(row);
          expect(row.lostIds).toEqual([]);
          expect(row.stillQueued).toBe(0);
          expect(ledger.committedNotInOutbox()).toEqual([]);
          expect(storage.raised).toBe(CYCLES);
          expect(storage.open).toBe(0);
          expect(seqReuse(cloud)).toEqual([]);
          expect(laneSeqReuse(cloud)).toEqual([]);
          expect(cloud.unreadable).toEqual([]);
        } finally {
          await life?.kill();
          await cloud.close();
        }
      },
      sized(240_000, 1_800_000),
    );
  },
);
