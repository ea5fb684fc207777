import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { sleep } from "../helpers/wait.js";
import { startAgent } from "./harness/agent-process.js";
import { startFaultCloud } from "./harness/cloud.js";
import { deliverAll } from "./harness/deliver.js";
import { Ledger, seqReuse } from "./harness/ledger.js";
import { writeRow } from "./harness/report.js";
import { faultSeed, reproduce, seededRandom, sized } from "./harness/size.js";

/*
 * Scenario a: the agent SIGKILLed at random moments while a burst of calls, "I am fine" events and
 * meter readings runs, restarted each time on the same outbox, which replays what it holds while the
 * next burst runs. Then one last life drains it. Every alert and event made durable must arrive;
 * telemetry may lose at most the uncommitted batch at each kill.
 */
// HEARTH_FAULTS_KILLS overrides the size, to replay a seed quickly or push further (with its seed,
// HEARTH_FAULTS_SEED, the same kill moments are drawn).
const KILLS = Number(process.env.HEARTH_FAULTS_KILLS ?? sized(50, 1000));
const BATCH = 50; // sim-home's outbox.telemetry_batch
const HOME = "faults-kill";
const dir = mkdtempSync(join(tmpdir(), "hearth-faults-kill-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(mosquittoAvailable())("fault: SIGKILL during bursts, one outbox", () => {
  it(
    `${KILLS} kills at random moments: no durable alert or event lost, telemetry shed only as the batch allows`,
    async () => {
      const seed = faultSeed();
      const random = seededRandom(seed);
      const cloud = await startFaultCloud(HOME);
      const ledger = new Ledger();
      // The child logs at warn so the outbox's size-bound drops are counted from its own log lines;
      // HEARTH_FAULTS_OUTBOX_MB shrinks the bound to show them in a short run.
      const options = {
        brokerUrl: cloud.url,
        stateDir: dir,
        home: HOME,
        burstAtStart: true,
        logLevel: "warn",
        ...(process.env.HEARTH_FAULTS_OUTBOX_MB
          ? { extraOutbox: `max_size_mb: ${Number(process.env.HEARTH_FAULTS_OUTBOX_MB)}` }
          : {}),
      };
      let boundDropped = 0;
      let duringStart = 0;
      let maxShedInOneLife = 0;
      try {
        for (let k = 0; k < KILLS; k++) {
          const before = ledger.durableTelemetry().size;
          // A random moment: every other life, any time from the spawn on (opening the outbox, starting
          // the drivers, connecting, replaying); otherwise after some commits of the burst and a random
          // pause, so kills land inside puts, commits, publishes and acks alike.
          const early = random() < 0.5;
          const life = await startAgent(options, ledger, {}, !early);
          if (early) {
            await sleep(Math.floor(random() * 2_500));
            if (!life.seen.ready) duringStart++;
          } else {
            await life.committed(Math.floor(random() * 40));
            await sleep(Math.floor(random() * 150));
          }
          await life.kill();
          boundDropped += life.seen.boundDropped;
          ledger.fault();
          ledger.readOutbox(dir);
          const shed = life.seen.telemetry - (ledger.durableTelemetry().size - before);
          maxShedInOneLife = Math.max(maxShedInOneLife, shed);
        }
        const last = await startAgent({ ...options, burstAtStart: false }, ledger);
        await last.drain(180_000);
        await deliverAll(cloud, ledger, 120_000);
        expect(await last.stop()).toBe(0);
        boundDropped += last.seen.boundDropped;
        ledger.readOutbox(dir);

        const row = ledger.row(HOME, `${KILLS} × SIGKILL during bursts, seed ${seed}`, cloud, {
          command: reproduce("tests/faults/sigkill.test.ts", seed),
          notes: { seed, maxShedInOneLife, batch: BATCH, killedWhileStarting: duringStart, boundDropped },
        });
        writeRow(row);
        // Every alert/event the child saw committed is in the outbox file, or was delivered (the size
        // bound drops delivered rows first, so a small bound empties the file of them).
        expect(ledger.committedNotInOutbox().filter((id) => !cloud.deliveries.has(id))).toEqual([]);
        expect(row.lostIds).toEqual([]);
        expect(row.stillQueued).toBe(0);
        expect(row.alertsEventsMade).toBeGreaterThan(KILLS);
        // Every committed telemetry row arrives, or the size bound dropped it (its policy, oldest first,
        // each drop in its own log line); what a kill costs is the batch not yet committed.
        expect(row.telemetryDelivered + row.telemetryStillQueued + row.telemetryDropped).toBe(
          row.telemetryDurable,
        );
        expect(row.telemetryDropped).toBeLessThanOrEqual(boundDropped);
        // With the bound shrunk, rows are committed, delivered and dropped within one life before any
        // reading of the file sees them, so what a kill cost cannot be told from the readings.
        if (!process.env.HEARTH_FAULTS_OUTBOX_MB) expect(maxShedInOneLife).toBeLessThanOrEqual(BATCH);
        expect(cloud.unreadable).toEqual([]);
        expect(seqReuse(cloud)).toEqual([]);
      } finally {
        await cloud.close();
      }
    },
    // A life takes 1–3 s on a loaded two-core machine; the drain at the end up to a few minutes.
    KILLS * 6_000 + 240_000,
  );
});
