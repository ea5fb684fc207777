import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReceiverStore } from "../../src/receiver/store/types.js";
import { mosquittoAvailable, startMosquitto, type TestBroker } from "../helpers/brokers.js";
import { postgresAvailable, startPostgres, type TestPostgres } from "../helpers/postgres.js";
import { waitFor } from "../helpers/wait.js";
import { FakeGateway, postgresStore, receiverOptions, sqliteStoreFactory, startReceiver } from "./rig.js";

const haveBroker = mosquittoAvailable();
const sqlite = sqliteStoreFactory();
let pgServer: TestPostgres | undefined;

/** A gateway's daily visit record (contract v1 `summary`), on the event-and-summary lane. */
function summaryEnv(
  gw: FakeGateway,
  date: string,
  activeHours: number,
  laneSeq: number,
): Record<string, unknown> {
  const hours = Array.from({ length: 24 }, (_, h) => (h >= 7 && h < 7 + activeHours ? 3 : 0));
  return {
    v: 1,
    id: randomUUID(),
    home: gw.home,
    seq: gw.seq++,
    lane_seq: laneSeq,
    ts: `${date}T23:59:00.000+08:00`,
    clock: "synced",
    type: "summary",
    body: {
      date,
      first_activity: `${date}T07:05:00.000+08:00`,
      last_activity: `${date}T${String(6 + activeHours).padStart(2, "0")}:50:00.000+08:00`,
      active_hours: activeHours,
      activity_by_hour: hours,
      alerts: [{ alert: "alert-x", kind: "call", state: "acknowledged" }],
    },
  };
}

const kinds: { name: string; available: () => boolean; make: () => Promise<ReceiverStore> }[] = [
  { name: "SQLite", available: () => true, make: () => Promise.resolve(sqlite.make()) },
  {
    name: "PostgreSQL",
    available: postgresAvailable,
    make: async () => {
      pgServer ??= await startPostgres();
      return postgresStore(await pgServer.database("rxsummary"));
    },
  },
];

describe.skipIf(!haveBroker)("daily visit records reach the home file", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.close();
    await pgServer?.stop();
    sqlite.cleanup();
  });

  for (const kind of kinds)
    it.skipIf(!kind.available())(
      `a gateway's summaries are stored on ${kind.name} and served per month`,
      async () => {
        const r = await startReceiver(
          receiverOptions(broker.url, {
            group: `g-sum-${kind.name}`,
            http: { host: "127.0.0.1", port: 0, token: undefined },
          }),
          await kind.make(),
        );
        const gw = await FakeGateway.start(broker.url, "home-sum", 1);
        try {
          await gw.publish(summaryEnv(gw, "2026-02-28", 9, 1));
          await gw.publish(summaryEnv(gw, "2026-03-01", 8, 2));
          // The same day again from a later seq (a corrected record) replaces it.
          await gw.publish(summaryEnv(gw, "2026-03-01", 10, 3));
          await waitFor("three summaries", async () => (await r.store.countSeen()) === 3);
          const base = `http://127.0.0.1:${r.receiver.httpAddress?.port}`;
          const march = (await (
            await fetch(`${base}/api/homes/home-sum/summaries?from=2026-03-01&to=2026-03-31`)
          ).json()) as { date: string; body: { active_hours: number; last_activity: string } }[];
          expect(march.map((d) => [d.date, d.body.active_hours, d.body.last_activity])).toEqual([
            ["2026-03-01", 10, "2026-03-01T16:50:00.000+08:00"],
          ]);
          expect(await r.store.summaries("home-sum", "2026-02-01", "2026-02-28")).toHaveLength(1);
        } finally {
          await gw.close();
          await r.stop();
        }
      },
      60_000,
    );
});
