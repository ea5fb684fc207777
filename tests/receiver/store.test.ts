import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION } from "../../src/receiver/store/migrations.js";
import { PostgresStore } from "../../src/receiver/store/postgres.js";
import { SqliteStore } from "../../src/receiver/store/sqlite.js";
import type { AlertRow, ReceiverStore, StatusUpdate } from "../../src/receiver/store/types.js";
import { postgresAvailable, startPostgres, type TestPostgres } from "../helpers/postgres.js";

/**
 * One suite for the receiver's store, run on each implementation (SQLite file, PostgreSQL server):
 * what one says, the other says too.
 */
interface StoreKind {
  name: string;
  available: () => boolean;
  setup(): Promise<void>;
  make(n: number): Promise<{ a: ReceiverStore; b: ReceiverStore }>;
  teardown(): Promise<void>;
}

let dir = "";
let server: TestPostgres | undefined;

const KINDS: StoreKind[] = [
  {
    name: "sqlite",
    available: () => true,
    setup: () => {
      dir = mkdtempSync(join(tmpdir(), "hearth-rx-store-"));
      return Promise.resolve();
    },
    // Two stores on one file: two receivers on one machine.
    make: (n) => {
      const path = join(dir, `r${n}.db`);
      return Promise.resolve({ a: new SqliteStore(path), b: new SqliteStore(path) });
    },
    teardown: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  },
  {
    name: "postgres",
    available: postgresAvailable,
    setup: async () => {
      server = await startPostgres();
    },
    make: async (n) => {
      const url = await (server as TestPostgres).database(`rx${n}`);
      return { a: new PostgresStore(url, 4), b: new PostgresStore(url, 4) };
    },
    teardown: async () => {
      await server?.stop();
    },
  },
];

const alert = (over: Partial<AlertRow> = {}): AlertRow => ({
  alert: "alert-call-0001",
  home: "home-0001",
  kind: "call",
  state: "raised",
  device: "button-1",
  since: "2026-03-01T14:32:00.000+08:00",
  evidence: { button: "press" },
  origin: "gateway",
  messageId: "m-00000001",
  updatedAt: 1000,
  ...over,
});

const status = (over: Partial<StatusUpdate> = {}): StatusUpdate => ({
  home: "home-0001",
  state: "online",
  session: 5,
  reason: undefined,
  version: "0.1.0",
  seq: 10,
  watch: "normal",
  replayDrained: true,
  health: { uptime_s: 10 },
  at: 1000,
  ...over,
});

for (const kind of KINDS) {
  describe.skipIf(!kind.available())(`receiver store on ${kind.name}`, () => {
    let n = 0;
    let a: ReceiverStore;
    let b: ReceiverStore;
    beforeAll(() => kind.setup(), 120_000);
    afterAll(() => kind.teardown());
    beforeEach(async () => {
      ({ a, b } = await kind.make(++n));
      // Two instances starting together: both migrate, one does the work.
      const versions = await Promise.all([a.migrate(), b.migrate()]);
      expect(versions).toEqual([SCHEMA_VERSION, SCHEMA_VERSION]);
      return async () => {
        await a.close();
        await b.close();
      };
    });

    it("migrates once and says the version again on the next start", async () => {
      expect(await a.migrate()).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBe(4);
    });

    it("keeps one daily visit record per home and day; a later seq replaces it, an older one does not", async () => {
      const day = (date: string, seq: number, activeHours: number) => ({
        home: "home-0001",
        date,
        seq,
        messageId: `m-sum-${date}-${seq}`,
        body: { date, active_hours: activeHours, first_activity: null, alerts: [] },
        receivedAt: 1000,
      });
      expect(await a.putSummary(day("2026-03-02", 20, 9))).toBe(true);
      expect(await a.putSummary(day("2026-03-01", 10, 7))).toBe(true);
      expect(await b.putSummary(day("2026-03-01", 10, 7))).toBe(false);
      expect(await b.putSummary(day("2026-03-01", 30, 8))).toBe(true);
      expect(await a.putSummary(day("2026-03-01", 25, 1))).toBe(false);
      expect(await a.putSummary({ ...day("2026-04-01", 40, 3), home: "home-0002" })).toBe(true);
      const march = await b.summaries("home-0001", "2026-03-01", "2026-03-31");
      expect(march.map((s) => [s.date, s.seq, s.body.active_hours])).toEqual([
        ["2026-03-01", 30, 8],
        ["2026-03-02", 20, 9],
      ]);
      expect(march[0]?.body.first_activity).toBeNull();
      expect(await a.summaries("home-0001", "2026-03-02", "2026-03-02")).toHaveLength(1);
    });

    it("keeps each commissioning report once, newest first, per home", async () => {
      const report = (seq: number, installer: string, home = "home-0001") => ({
        home,
        seq,
        messageId: `m-rep-${home}-${seq}`,
        report: { installer, ok: true, devices: [{ id: "button-1", signal: { rssi_dbm: -67 } }] },
        receivedAt: 1000 + seq,
      });
      expect(await a.putCommissioningReport(report(5, "Ana"))).toBe(true);
      expect(await b.putCommissioningReport(report(5, "Ana"))).toBe(false);
      expect(await b.putCommissioningReport(report(9, "Bo"))).toBe(true);
      expect(await a.putCommissioningReport(report(7, "Cy", "home-0002"))).toBe(true);
      const kept = await a.commissioningReports("home-0001");
      expect(kept.map((r) => [r.seq, r.report.installer])).toEqual([
        [9, "Bo"],
        [5, "Ana"],
      ]);
      expect(kept[1]?.report.devices).toEqual([{ id: "button-1", signal: { rssi_dbm: -67 } }]);
      expect(await b.commissioningReports("home-0001", 1)).toHaveLength(1);
    });

    it("a home's alert history holds every state, newest first, and only that home's", async () => {
      await a.applyAlert(alert({ alert: "x1", updatedAt: 1000 }));
      await a.applyAlert(alert({ alert: "x2", updatedAt: 3000, state: "acknowledged" }));
      await a.applyAlert(alert({ alert: "x3", home: "home-0002", updatedAt: 2000 }));
      expect((await b.homeAlerts("home-0001")).map((r) => [r.alert, r.state])).toEqual([
        ["x2", "acknowledged"],
        ["x1", "raised"],
      ]);
      expect((await b.homeAlerts("home-0001", 1)).map((r) => r.alert)).toEqual(["x2"]);
    });

    it("a message id is new once, across instances", async () => {
      const m = { id: "m-00000001", home: "h", type: "alert", seq: 1, laneSeq: 1, receivedAt: 1 };
      const results = await Promise.all([a.markSeen(m), b.markSeen(m)]);
      expect(results.sort()).toEqual([false, true]);
      expect(await a.markSeen({ ...m, id: "m-00000002" })).toBe(true);
      expect(await b.countSeen()).toBe(2);
    });

    it("prunes message ids older than a time, in batches, from two instances at once, each row once", async () => {
      const seen = (i: number) => ({
        id: `m-${String(i).padStart(8, "0")}`,
        home: "h",
        type: "event",
        seq: i,
        laneSeq: i,
        receivedAt: i * 1000,
      });
      for (let i = 1; i <= 12; i++) expect(await a.markSeen(seen(i))).toBe(true);
      // Both instances prune batch after batch until a batch is not full (as SeenPruner does).
      const pruneAll = async (s: ReceiverStore) => {
        let total = 0;
        for (;;) {
          const n = await s.pruneSeen(8000, 3);
          total += n;
          if (n < 3) return total;
        }
      };
      const [byA, byB] = await Promise.all([pruneAll(a), pruneAll(b)]);
      expect(byA + byB).toBe(7);
      expect(await a.countSeen()).toBe(5);
      expect(await b.pruneSeen(8000, 3)).toBe(0);
      // A pruned id is new again; one inside the window is still a duplicate.
      expect(await b.markSeen(seen(7))).toBe(true);
      expect(await b.markSeen(seen(8))).toBe(false);
    });

    it("an alert moves forward only: raised, escalated, then closed; older states change nothing", async () => {
      expect(await a.applyAlert(alert())).toBe(true);
      expect(await b.applyAlert(alert())).toBe(false);
      expect(await a.applyAlert(alert({ state: "escalated", messageId: "m-2", updatedAt: 2000 }))).toBe(true);
      expect(await b.applyAlert(alert({ state: "raised", messageId: "m-3" }))).toBe(false);
      expect((await a.openAlerts()).map((x) => x.state)).toEqual(["escalated"]);
      expect(await a.markAckSent("alert-call-0001", "care-centre", "on my way", 2500)).toBe(true);
      expect(await b.markAckSent("alert-call-0001", "other", undefined, 2600)).toBe(false);
      // The ack expired unused: sent again once, by one instance.
      expect(await a.markAckResent("alert-call-0001", 2500, 2700)).toBe(false);
      const again = await Promise.all([
        a.markAckResent("alert-call-0001", 2600, 2700),
        b.markAckResent("alert-call-0001", 2600, 2700),
      ]);
      expect(again.sort()).toEqual([false, true]);
      expect(await b.applyAlert(alert({ state: "acknowledged", messageId: "m-4", updatedAt: 3000 }))).toBe(
        true,
      );
      expect(await a.openAlerts()).toEqual([]);
      const row = await b.getAlert("alert-call-0001");
      expect(row).toMatchObject({
        state: "acknowledged",
        ackBy: "care-centre",
        ackNote: "on my way",
        ackSentAt: 2700,
      });
      expect(row?.evidence).toEqual({ button: "press" });
    });

    it("statuses are ordered by session; a lower session is ignored", async () => {
      expect((await a.applyStatus(status()))?.transition).toBe("online");
      expect((await b.applyStatus(status({ at: 2000 })))?.transition).toBeUndefined();
      expect((await a.getGateway("home-0001"))?.lastHeartbeatAt).toBe(2000);
      // The will of the session, then a late retained online of the same session: the will stands.
      const off = await b.applyStatus(status({ state: "offline", reason: "connection lost", at: 3000 }));
      expect(off?.transition).toBe("offline");
      expect(off?.after.offlineBy).toBe("will");
      expect(await a.applyStatus(status({ at: 3100 }))).toBeUndefined();
      // A will of an older session arriving after the next session's online: ignored.
      expect((await a.applyStatus(status({ session: 6, at: 4000 })))?.transition).toBe("online");
      expect(await b.applyStatus(status({ state: "offline", session: 5, at: 4100 }))).toBeUndefined();
      expect((await a.getGateway("home-0001"))?.state).toBe("online");
    });

    it("a silent gateway is marked offline once; a heartbeat of the same session brings it back", async () => {
      await a.applyStatus(status({ at: 1000 }));
      expect((await b.silentGateways(5000)).map((g) => g.home)).toEqual(["home-0001"]);
      const won = await Promise.all([
        a.markSilent("home-0001", 5000, 6000),
        b.markSilent("home-0001", 5000, 6000),
      ]);
      expect(won.sort()).toEqual([false, true]);
      expect((await a.getGateway("home-0001"))?.offlineBy).toBe("silent");
      expect((await b.applyStatus(status({ at: 7000 })))?.transition).toBe("online");
    });

    it("keeps the desired watch level across statuses", async () => {
      await a.setDesiredWatch("home-0002", "away", "2026-03-10T00:00:00Z");
      await b.applyStatus(status({ home: "home-0002", watch: "normal" }));
      expect(await a.getGateway("home-0002")).toMatchObject({
        desiredWatch: "away",
        desiredWatchUntil: "2026-03-10T00:00:00Z",
        watch: "normal",
        state: "online",
      });
    });

    it("finds the missing lane_seq ranges with the seq bounds to ask for, and the lost tail", async () => {
      for (const [ls, seq] of [
        [1, 101],
        [2, 102],
        [5, 110],
        [6, 111],
      ] as const)
        await (ls % 2 ? a : b).recordLane("h", "alert", ls, seq);
      const missing = await a.missingRanges("h", "alert", 8, 130);
      expect(missing).toEqual([
        { fromLaneSeq: 3, toLaneSeq: 4, fromSeq: 103, toSeq: 109 },
        { fromLaneSeq: 7, toLaneSeq: 8, fromSeq: 112, toSeq: 130 },
      ]);
      expect(await b.rangeComplete("h", "alert", 3, 4)).toBe(false);
      await a.recordLane("h", "alert", 3, 105);
      await b.recordLane("h", "alert", 4, 107);
      expect(await b.rangeComplete("h", "alert", 3, 4)).toBe(true);
      expect(await a.missingRanges("h", "alert", 6, 130)).toEqual([]);
      // The event lane is its own.
      expect(await a.missingRanges("h", "event", 3, 130)).toEqual([]);
    });

    it("records a gap once and moves it once", async () => {
      const g = { home: "h", lane: "alert" as const, fromLaneSeq: 3, toLaneSeq: 4, fromSeq: 103, toSeq: 109 };
      const opened = await Promise.all([
        a.openGap({ ...g, state: "asked", askedAt: 1, session: 1 }),
        b.openGap({ ...g, state: "asked", askedAt: 1, session: 1 }),
      ]);
      expect(opened.sort()).toEqual([false, true]);
      expect((await b.gaps("h", ["asked"])).length).toBe(1);
      const moved = await Promise.all([a.moveGap(g, "asked", "lost", 2), b.moveGap(g, "asked", "filled", 2)]);
      expect(moved.sort()).toEqual([false, true]);
      expect(await a.gaps("h", ["asked"])).toEqual([]);
    });

    it("a lost range is not asked for again, and the lane's mark passes it", async () => {
      await a.recordLane("h", "event", 1, 1);
      await a.recordLane("h", "event", 4, 9);
      const [r] = await a.missingRanges("h", "event", 4, 9);
      expect(r).toEqual({ fromLaneSeq: 2, toLaneSeq: 3, fromSeq: 2, toSeq: 8 });
      if (!r) return;
      await a.openGap({ ...r, home: "h", lane: "event", state: "lost", askedAt: 1, session: 1 });
      expect(await b.missingRanges("h", "event", 4, 9)).toEqual([]);
      await a.recordLane("h", "event", 6, 12);
      expect(await b.missingRanges("h", "event", 6, 12)).toEqual([
        { fromLaneSeq: 5, toLaneSeq: 5, fromSeq: 10, toSeq: 11 },
      ]);
    });

    it("webhook deliveries: queued once, claimed by one instance, retried, delivered", async () => {
      const d = { key: "m-00000001", alert: "a1", body: "{}", nextAt: 100, ackAfter: true };
      expect(await a.enqueueWebhook(d)).toBe(true);
      expect(await b.enqueueWebhook(d)).toBe(false);
      expect(await a.dueWebhooks(50, 10)).toEqual([]);
      const [due] = await b.dueWebhooks(100, 10);
      expect(due).toMatchObject({ key: "m-00000001", state: "pending", attempts: 0, ackAfter: true });
      const claims = await Promise.all([a.claimWebhook(d.key, 100, 200), b.claimWebhook(d.key, 100, 200)]);
      expect(claims.sort()).toEqual([false, true]);
      await a.webhookFailed(d.key, 1, 300, "HTTP 503");
      expect(await b.getWebhook(d.key)).toMatchObject({ attempts: 1, nextAt: 300, lastError: "HTTP 503" });
      await b.webhookDelivered(d.key, 400);
      expect(await a.getWebhook(d.key)).toMatchObject({ state: "delivered", attempts: 2 });
      expect(await a.dueWebhooks(10_000, 10)).toEqual([]);
    });
  });
}
