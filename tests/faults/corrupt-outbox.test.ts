import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { OUTBOX_FILE } from "../../src/outbox/types.js";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { waitFor } from "../helpers/wait.js";
import { type AgentLife, startAgent } from "./harness/agent-process.js";
import { type FaultCloud, startFaultCloud } from "./harness/cloud.js";
import { deliverAll } from "./harness/deliver.js";
import { Ledger, laneSeqReuse, seqReuse } from "./harness/ledger.js";
import { alertStates, deliveriesOf } from "./harness/observed.js";
import { writeRow } from "./harness/report.js";
import { reproduce, sized } from "./harness/size.js";

/*
 * Scenario h: the outbox file damaged between two lives of the agent, as a failing SD card does it:
 * overwritten with garbage, its first page (the header) smashed, truncated to half, truncated to
 * nothing. Every start must succeed with its drivers (a press is a call the cloud receives), report a
 * `storage` alert naming where the damaged file went, and never hand out a seq or lane_seq again.
 * What the damaged file still held undelivered (some lives end by SIGKILL before the replay) is read
 * from the moved-aside file where SQLite still can; what cannot be read is counted as unknown.
 */
const LIVES = sized(4, 40);
const DAMAGE = ["garbage", "header", "half", "empty"] as const;
type Damage = (typeof DAMAGE)[number];
const HOME = "faults-corrupt";
const dir = mkdtempSync(join(tmpdir(), "hearth-faults-corrupt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function damage(path: string, how: Damage): void {
  if (how === "garbage") writeFileSync(path, "what a failing SD card gave back ".repeat(4096));
  else if (how === "header") {
    const size = statSync(path).size;
    writeFileSync(path, Buffer.alloc(4096, 0xa5), { flag: "r+" });
    if (size < 4096) truncateSync(path, 4096);
  } else truncateSync(path, how === "half" ? Math.floor(statSync(path).size / 2) : 0);
}

/**
 * Whether SQLite still reads the damaged file as a sound database (on a copy, with its -wal): after a
 * kill, the -wal may hold page 1 and the rest of what was smashed, and SQLite reads them from there.
 */
function stillSound(path: string): boolean {
  const probe = mkdtempSync(join(tmpdir(), "hearth-faults-probe-"));
  try {
    const copy = join(probe, "probe.db");
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    const db = new Database(copy, { fileMustExist: true });
    try {
      return db.pragma("quick_check(1)", { simple: true }) === "ok";
    } finally {
      db.close();
    }
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const calls = (cloud: FaultCloud) =>
  [...alertStates(cloud, "call").values()].filter((s) => s.has("raised")).length;
const corruptAlerts = (cloud: FaultCloud) =>
  deliveriesOf(cloud, "alert").filter(
    (d) =>
      d.body.kind === "storage" && (d.body.evidence as { reason?: string } | undefined)?.reason === "corrupt",
  );

describe.runIf(mosquittoAvailable())("fault: the outbox corrupted or truncated between lives", () => {
  it(
    `${LIVES} lives, the file damaged after each (${DAMAGE.join(", ")}): every start works, nothing reused`,
    async () => {
      const cloud = await startFaultCloud(HOME);
      const ledger = new Ledger();
      const options = { brokerUrl: cloud.url, stateDir: dir, home: HOME };
      const path = join(dir, OUTBOX_FILE);
      const destroyed = new Set<string>();
      const movedAside: string[] = [];
      let unreadable = 0;
      let queuedAtDamage = 0;
      const masked: string[] = [];
      let life: AgentLife = await startAgent(options, ledger);
      try {
        for (let i = 0; i < LIVES; i++) {
          // The button works in this life, whatever the last one left behind.
          const before = calls(cloud);
          life.send("press press");
          await waitFor("a call from this life at the cloud", () => calls(cloud) > before, {
            timeoutMs: 30_000,
            detail: () => ({ stderr: life.stderr().slice(-2000) }),
          });
          life.send("burst");
          await life.committed(40);
          life.send("calm");
          // Every other life ends by SIGKILL with a backlog (the file then holds rows never delivered).
          if (i % 2 === 0) {
            await life.drain();
            expect(await life.stop()).toBe(0);
          } else await life.kill();
          ledger.fault();
          expect(ledger.readOutbox(dir)).toBeUndefined();
          const undelivered = [...ledger.durable()].filter((id) => !cloud.deliveries.has(id));
          queuedAtDamage += undelivered.length;
          for (const id of undelivered) destroyed.add(id);
          const how = DAMAGE[i % DAMAGE.length] as Damage;
          damage(path, how);
          const sound = stillSound(path);
          ledger.fault();
          const alertsBefore = corruptAlerts(cloud).length;
          life = await startAgent(options, ledger);
          expect(life.seen.ready).toBe(true);
          if (sound) {
            // Nothing for the agent to recover from (an empty file is a new database; a smashed page
            // the -wal still holds is read from there): no alert, and the rows must all still be there.
            masked.push(how);
            continue;
          }
          await waitFor(
            "a storage alert naming the moved file",
            () => corruptAlerts(cloud).length > alertsBefore,
            {
              timeoutMs: 30_000,
              detail: () => ({ how, stderr: life.stderr().slice(-2000) }),
            },
          );
          const moved = String(
            (corruptAlerts(cloud).at(-1)?.body.evidence as { moved_to?: string } | undefined)?.moved_to,
          );
          expect(existsSync(moved)).toBe(true);
          movedAside.push(moved);
          // What the damaged file still gives back is durable history, not a queue: nobody sends it now.
          if (ledger.readOutboxFile(moved, false) !== undefined) unreadable++;
        }
        const before = calls(cloud);
        life.send("press press");
        await waitFor("a call from the last life", () => calls(cloud) > before, { timeoutMs: 30_000 });
        await life.drain();
        await deliverAll(cloud, ledger, 30_000);
        expect(await life.stop()).toBe(0);
        ledger.readOutbox(dir);

        const lost = ledger.lostIds(cloud);
        const row = ledger.row(
          HOME,
          `${LIVES} damaged outbox files (${DAMAGE.join(", ")}), half after a SIGKILL`,
          cloud,
          {
            command: reproduce("tests/faults/corrupt-outbox.test.ts"),
            notes: {
              movedAside: movedAside.length,
              movedAsideUnreadable: unreadable,
              soundAfterDamage: masked.join(", ") || "none",
              undeliveredInDamagedFiles: queuedAtDamage,
              lostOnlyWithDamagedFile: lost.filter((id) => destroyed.has(id)).length,
            },
          },
        );
        writeRow(row);
        // What never arrived was in a damaged file when it was damaged; nothing else.
        expect(lost.filter((id) => !destroyed.has(id))).toEqual([]);
        expect(seqReuse(cloud)).toEqual([]);
        expect(laneSeqReuse(cloud)).toEqual([]);
        expect(cloud.unreadable).toEqual([]);
      } finally {
        await life.kill();
        await cloud.close();
      }
    },
    sized(180_000, 1_800_000),
  );
});
