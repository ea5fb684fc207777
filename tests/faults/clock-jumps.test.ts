import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { sleep } from "../helpers/wait.js";
import { type AgentLife, startAgent } from "./harness/agent-process.js";
import { startFaultCloud } from "./harness/cloud.js";
import { deliverAll } from "./harness/deliver.js";
import { fakeClock, faketimeAvailable } from "./harness/faketime.js";
import { Ledger, seqReuse } from "./harness/ledger.js";
import { writeRow } from "./harness/report.js";
import { reproduce, sized } from "./harness/size.js";

/*
 * Scenario c: the agent's wall clock jumps years back and days forward while it works (libfaketime in
 * the child only; its monotonic clock stays true), and it is killed and restarted while the clock is
 * wrong. ids and seqs must stay unique, seq must follow the order of the commits whatever the clock
 * says, and nothing durable may be lost.
 */
const JUMPS = ["-3y", "+0", "+2d", "-10y", "+9d", "-1y", "+0"];
const ROUNDS = sized(1, 10); // the jump sequence, this many times
const PER_PHASE = 25; // alerts/events committed in each clock phase
const HOME = "faults-clock";
const dir = mkdtempSync(join(tmpdir(), "hearth-faults-clock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(mosquittoAvailable() && faketimeAvailable())("fault: wall-clock jumps (faketime)", () => {
  it(
    `jumps ${JUMPS.join(", ")} × ${ROUNDS}, a kill in every other phase: seq follows the commits, nothing lost`,
    async () => {
      const cloud = await startFaultCloud(HOME);
      const ledger = new Ledger();
      const clock = fakeClock(join(dir, "faketime"));
      const options = { brokerUrl: cloud.url, stateDir: join(dir, "state"), home: HOME };
      let life: AgentLife | undefined;
      try {
        life = await startAgent(options, ledger, clock.env);
        let phase = 0;
        for (let round = 0; round < ROUNDS; round++)
          for (const offset of JUMPS) {
            clock.set(offset);
            ledger.fault();
            await sleep(clock.noticeMs);
            life.send("burst");
            await life.committed(PER_PHASE);
            life.send("calm");
            if (phase++ % 2 === 1) {
              // Killed while the clock is wrong, restarted with it still wrong.
              await life.kill();
              ledger.fault();
              ledger.readOutbox(options.stateDir);
              life = await startAgent(options, ledger, clock.env);
            }
          }
        clock.set("+0");
        await sleep(clock.noticeMs);
        await life.drain(120_000);
        await deliverAll(cloud, ledger, 60_000);
        expect(await life.stop()).toBe(0);
        ledger.readOutbox(options.stateDir);
        await deliverAll(cloud, ledger, 30_000);

        const row = ledger.row(
          HOME,
          `${JUMPS.length * ROUNDS} wall-clock jumps (${JUMPS.join(", ")}) and kills while wrong`,
          cloud,
          {
            command: reproduce("tests/faults/clock-jumps.test.ts"),
          },
        );
        writeRow(row);
        expect(ledger.committedNotInOutbox()).toEqual([]);
        expect(row.lostIds).toEqual([]);
        expect(row.stillQueued).toBe(0);
        expect(row.telemetryDelivered + row.telemetryStillQueued).toBe(row.telemetryDurable);
        expect(seqReuse(cloud)).toEqual([]);
        expect(cloud.unreadable).toEqual([]);
        // The clock went years back and days forward; seq did not: it follows the order of the commits.
        const seqs = ledger.committedInOrder().map((id) => cloud.deliveries.get(id)?.[0]?.seq ?? -1);
        const backwards = seqs.filter((s, i) => i > 0 && s <= (seqs[i - 1] ?? 0));
        expect(backwards).toEqual([]);
        // And the faked clock did reach the messages: some say 10 years back, some 9 days ahead.
        const years = [...cloud.deliveries.values()].map((l) => new Date(l[0]?.ts ?? 0).getUTCFullYear());
        const now = new Date().getUTCFullYear();
        expect(Math.min(...years)).toBeLessThanOrEqual(now - 9);
      } finally {
        await life?.kill();
        await cloud.close();
      }
    },
    sized(180_000, 3_600_000),
  );
});
