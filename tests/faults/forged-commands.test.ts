import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commandTopic } from "../../src/contract/topics.js";
import { mosquittoAvailable } from "../helpers/brokers.js";
import { OTHER_KEY, TEST_COMMANDS_YAML, testCommandPayload } from "../helpers/commands.js";
import { sleep, waitFor } from "../helpers/wait.js";
import { type AgentLife, startAgent } from "./harness/agent-process.js";
import { type FaultCloud, startFaultCloud } from "./harness/cloud.js";
import { deliverAll } from "./harness/deliver.js";
import { Ledger } from "./harness/ledger.js";
import { alertStates, deliveriesOf, type Reply, replies } from "./harness/observed.js";
import { writeRow } from "./harness/report.js";
import { reproduce, sized } from "./harness/size.js";

/*
 * Scenario g: what an attacker with access to the broker, or a recording of its traffic, can publish
 * on the gateway's command topics: commands signed with another key, unsigned, replayed (also after a
 * restart of the agent), stale, dated in the future, living too long, oversized, not JSON, interleaved
 * with valid ones. None may change anything (watch level, open alerts); every valid one runs once; the
 * agent stays up; each refusal is a reply with the documented code.
 */
const ROUNDS = sized(2, 40);
const HOME = "faults-cmd";
const dir = mkdtempSync(join(tmpdir(), "hearth-faults-cmd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const YEAR_MS = 365 * 24 * 3600_000;

interface Sent {
  id: string;
  what: string;
  /** The reply code expected ("ok" for a valid command); undefined: no reply (dropped by the broker). */
  expect: string | undefined;
}

const idOf = (payload: Buffer): string => String((JSON.parse(payload.toString()) as { id: string }).id);
const levels = (cloud: FaultCloud) =>
  deliveriesOf(cloud, "event")
    .filter((d) => d.body.event === "watch_level")
    .map((d) => (d.body.data as { level?: string } | undefined)?.level);

describe.runIf(mosquittoAvailable())("fault: forged, replayed, stale and oversized commands", () => {
  it(
    `${ROUNDS} rounds of attacks between valid commands, a restart between rounds: nothing forged runs, every valid one runs once`,
    async () => {
      const cloud = await startFaultCloud(HOME);
      const ledger = new Ledger();
      const options = { brokerUrl: cloud.url, stateDir: dir, home: HOME, extraCloud: TEST_COMMANDS_YAML };
      const sent: Sent[] = [];
      const publish = async (
        name: string,
        payload: Buffer | string,
        what: string,
        expected: string | undefined,
      ) => {
        await cloud.publish(commandTopic(HOME, name), payload);
        const id = typeof payload === "string" ? what : idOf(payload);
        sent.push({ id, what, expect: expected });
        if (expected !== "ok") ledger.fault();
      };
      const answered = (s: Sent) => replies(cloud).filter((r) => r.command_id === s.id);
      let life: AgentLife = await startAgent(options, ledger);
      try {
        await waitFor("the agent online", () => cloud.idsOfType("status").size > 0, { timeoutMs: 30_000 });
        life.send("press press");
        await waitFor("the real call raised", () => alertStates(cloud, "call").size === 1, {
          timeoutMs: 20_000,
        });
        const call = [...alertStates(cloud, "call").keys()][0] as string;
        const recorded: Buffer[] = [];
        let validWatches = 0;
        for (let round = 0; round < ROUNDS; round++) {
          const now = Date.now();
          const until = new Date(now + 3600_000).toISOString();
          const away = testCommandPayload(HOME, "watch", { level: "away", until });
          const normal = testCommandPayload(HOME, "watch", { level: "normal" });
          await publish("watch", away, "valid watch away (1 h)", "ok");
          await publish("watch", normal, "valid watch normal", "ok");
          validWatches += 2;
          recorded.push(away);
          await publish("ping", testCommandPayload(HOME, "ping", {}), "valid ping", "ok");
          // The attacks: the gateway is watching normally, a call is open.
          await publish("watch", away, "replayed watch away", "replayed");
          for (const old of recorded.slice(0, -1))
            await publish("watch", old, "replayed watch away of an earlier round or life", "replayed");
          await publish(
            "watch",
            testCommandPayload(HOME, "watch", { level: "away", until }, { key: OTHER_KEY }),
            "watch away signed with another key",
            "bad_signature",
          );
          await publish(
            "ack",
            testCommandPayload(HOME, "ack", { alert: call, kind: "call" }, { key: OTHER_KEY }),
            "ack of the call signed with another key",
            "bad_signature",
          );
          await publish(
            "ack",
            testCommandPayload(HOME, "ack", { alert: call, kind: "call" }, { key: null }),
            "unsigned ack of the call",
            "unsigned",
          );
          await publish(
            "watch",
            testCommandPayload(HOME, "watch", { level: "away", until }, { nowMs: now - 3 * YEAR_MS }),
            "watch away dated 3 years back",
            "expired",
          );
          await publish(
            "ack",
            testCommandPayload(HOME, "ack", { alert: call, kind: "call" }, { nowMs: now - 11 * 60_000 }),
            "ack expired a minute ago",
            "expired",
          );
          await publish(
            "watch",
            testCommandPayload(HOME, "watch", { level: "away", until }, { nowMs: now + 24 * 3600_000 }),
            "watch away dated tomorrow",
            "invalid",
          );
          await publish(
            "watch",
            testCommandPayload(HOME, "watch", { level: "away", until }, { ttlMs: 24 * 3600_000 }),
            "watch away valid for a day",
            "invalid",
          );
          await publish(
            "watch",
            testCommandPayload(HOME, "watch", { level: "away", until }, { without: ["expires"] }),
            "watch away without expires",
            "invalid",
          );
          await publish(
            "watch",
            testCommandPayload(HOME, "watch", { level: "away" }),
            "signed watch away without until",
            "invalid",
          );
          await publish(
            "ack",
            testCommandPayload(HOME, "ack", { alert: call, kind: "inactivity" }),
            "signed ack of the call naming another kind",
            "kind_mismatch",
          );
          await publish(
            "watch",
            testCommandPayload(HOME, "watch", { level: "away", until, pad: "x".repeat(70 * 1024) }),
            "oversized (70 KiB) watch away",
            undefined,
          );
          await publish("watch", "{ not json", `garbage JSON ${round}`, undefined);
          await publish("ping", testCommandPayload(HOME, "ping", {}), "valid ping after the attacks", "ok");
          // A restart between rounds: the seen ids must survive it (replays of this life come next round).
          await waitFor(
            "every reply of the round",
            () => sent.every((s) => s.expect === undefined || answered(s).length > 0),
            {
              timeoutMs: 30_000,
              detail: () => ({
                missing: sent.filter((s) => s.expect !== undefined && answered(s).length === 0),
              }),
            },
          );
          expect(await life.stop()).toBe(0);
          ledger.fault();
          life = await startAgent(options, ledger);
        }
        // The recorded commands once more, to the new life: all refused.
        for (const old of recorded)
          await publish("watch", old, "replayed watch away after a restart", "replayed");
        await waitFor(
          "every reply",
          () => sent.every((s) => s.expect === undefined || answered(s).length > 0),
          {
            timeoutMs: 30_000,
          },
        );
        // Time for a wrongly accepted command to show; then nothing has touched the call.
        await sleep(1_000);
        const callBeforeAck = alertStates(cloud, "call").get(call);
        const levelsBefore = levels(cloud);
        // The valid ack ends it.
        await publish(
          "ack",
          testCommandPayload(HOME, "ack", { alert: call, kind: "call" }),
          "valid ack",
          "ok",
        );
        await waitFor(
          "the call acknowledged",
          () => alertStates(cloud, "call").get(call)?.has("acknowledged") === true,
          {
            timeoutMs: 20_000,
          },
        );
        await life.drain();
        await deliverAll(cloud, ledger, 20_000);
        const alive = life.child.exitCode === null;
        expect(await life.stop()).toBe(0);
        ledger.readOutbox(dir);

        const byCode = new Map<string, number>();
        const wrong: string[] = [];
        for (const s of sent) {
          const got: Reply[] = answered(s);
          if (s.expect === undefined) continue;
          // A replayed id has its first (ok) reply too; the refusal is the one after it.
          const codes = got.map((r) => (r.status === "ok" ? "ok" : (r.error?.code ?? "?")));
          if (!codes.includes(s.expect))
            wrong.push(`${s.what}: expected ${s.expect}, got ${codes.join(",")}`);
          byCode.set(s.expect, (byCode.get(s.expect) ?? 0) + 1);
        }
        const okPerValidId = new Map<string, number>();
        for (const r of replies(cloud))
          if (r.status === "ok") okPerValidId.set(r.command_id, (okPerValidId.get(r.command_id) ?? 0) + 1);
        const ranTwice = [...okPerValidId].filter(([, n]) => n > 1);
        const garbage = replies(cloud).filter(
          (r) => r.command_id === "unknown" || r.command_id === "invalid",
        );
        const attacks = sent.filter((s) => s.expect !== "ok").length;
        const row = ledger.row(
          HOME,
          `${attacks} forged, replayed, stale, oversized and garbage commands`,
          cloud,
          {
            command: reproduce("tests/faults/forged-commands.test.ts"),
            notes: {
              validCommands: sent.filter((s) => s.expect === "ok").length,
              attacks,
              refusals: [...byCode].map(([c, n]) => `${c} ${n}`).join(", "),
              garbageReplies: garbage.length,
              restarts: ROUNDS,
            },
          },
        );
        writeRow(row);
        expect(wrong).toEqual([]);
        // Larger than the agent's MQTT 5 maximum packet size: the broker never hands it over.
        expect(sent.filter((s) => s.what.startsWith("oversized")).flatMap(answered)).toEqual([]);
        expect(ranTwice).toEqual([]);
        // The watch level changed exactly as often as valid watch commands said so, never to away after.
        expect(levelsBefore.length).toBe(validWatches);
        expect(levelsBefore.at(-1)).toBe("normal");
        expect([...(callBeforeAck ?? [])]).toEqual(["raised"]);
        expect(garbage.length).toBeGreaterThanOrEqual(ROUNDS);
        expect(alive).toBe(true);
        expect(row.lostIds).toEqual([]);
        expect(cloud.unreadable).toEqual([]);
      } finally {
        await life.kill();
        await cloud.close();
      }
    },
    sized(180_000, 1_800_000),
  );
});
