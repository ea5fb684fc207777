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
 * What SQLite makes of the damaged file (on a copy, with its -wal): `corrupt`; `sound` (after a kill
 * the -wal may hold page 1 and the rest of what was smashed, and SQLite reads them from there); or
 * `empty`, sound but without history (a file truncated to nothing is a new database).
 */
function probe(path: string): "corrupt" | "sound" | "empty" {
  const tmp = mkdtempSync(join(tmpdir(), "hearth-faults-probe-"));
  try {
    const copy = join(tmp, "probe.db");
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    const db = new Database(copy, { fileMustExist: true });
    try {
      if (db.pragma("quick_check(1)", { simple: true }) !== "ok") return "corrupt";
      const seq = db
        .prepare("SELECT value FROM sqlite_master, meta WHERE sqlite_master.name = 'meta' AND key = 'seq'")
        .pluck()
        .get();
      return Number(seq ?? 0) > 0 ? "sound" : "empty";
    } finally {
      db.close();
    }
  } catch {
    return "corrupt";
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const calls = (cloud: FaultCloud) =>
  [...alertStates(cloud, "call").values()].filter((s) => s.has("raised")).length;
/** Storage alerts (reason corrupt) by alert id, with their evidence: republished copies count once. */
const corruptAlerts = (cloud: FaultCloud) => {
  const out = new Map<string, { moved_to?: string }>();
  for (const d of deliveriesOf(cloud, "alert")) {
    const evidence = d.body.evidence as { reason?: string; moved_to?: string } | undefined;
    if (d.body.kind === "storage" && evidence?.reason === "corrupt") out.set(String(d.body.alert), evidence);
  }
  return out;
};

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
      let historyGone = 0;
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
          const found = probe(path);
          ledger.fault();
          const alertsBefore = new Set(corruptAlerts(cloud).keys());
          life = await startAgent(options, ledger);
          expect(life.seen.ready).toBe(true);
          if (found === "sound") {
            // The -wal still held what was smashed: nothing to recover from, no alert; the ledger's
            // end check shows no row was lost.
            masked.push(how);
            continue;
          }
          await waitFor(
            "a storage alert (corrupt) from the new life",
            () => [...corruptAlerts(cloud).keys()].some((id) => !alertsBefore.has(id)),
            {
              timeoutMs: 30_000,
              detail: () => ({ how, found, stderr: life.stderr().slice(-2000) }),
            },
          );
          const fresh = [...corruptAlerts(cloud)].filter(([id]) => !alertsBefore.has(id));
          expect(fresh).toHaveLength(1);
          if (fresh[0]?.[1].moved_to === undefined) {
            // Nothing moved aside: only a file truncated to nothing opens as a (new) database; the
            // alert says its history is gone.
            expect(how).toBe("empty");
            historyGone++;
            continue;
          }
          const moved = String(fresh[0]?.[1].moved_to);
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
              historyGoneAlerts: historyGone,
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
