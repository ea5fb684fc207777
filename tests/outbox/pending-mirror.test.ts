import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import { VirtualClock } from "../../src/core/clock.js";
import { ErrorCode, isHearthError } from "../../src/core/errors.js";
import { SeededIds } from "../../src/core/ids.js";
import { OutboxDb } from "../../src/outbox/db.js";
import * as delivery from "../../src/outbox/delivery.js";
import { PendingMirror } from "../../src/outbox/pending-mirror.js";
import { pendingRow } from "../../src/outbox/rows.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import { alertBody, alertId, eventBody, outboxOptions, telemetryBody } from "./fixtures.js";
import { lastOpened } from "./tracked-sqlite.js";

/**
 * Issue 14, press → PUBACK: the drain's page after a commit comes from the pending mirror
 * (src/outbox/pending-mirror.ts), not from SQLite. Whatever the outbox is asked to do, what it hands out
 * from the mirror must be what SQLite holds: after every step the same page is read again with the
 * mirror bypassed, and the two must be equal. Besides the outbox's own writes, a change made through the
 * raw connection (what the mirror is not told of, as an older release's write would be) must drop it.
 */

// The outbox keeps its connection private; the test writes through it behind the outbox's back.
vi.mock("better-sqlite3", async (real) => (await import("./tracked-sqlite.js")).trackedSqlite(real));

const dir = mkdtempSync(join(tmpdir(), "hearth-pending-mirror-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Op =
  | { kind: "alert" }
  | { kind: "event" }
  | { kind: "telemetry"; n: number }
  | { kind: "flush" }
  | { kind: "press" }
  | { kind: "throwingGroup" }
  | { kind: "mark"; pick: number[] }
  | { kind: "markLater"; pick: number[] }
  | { kind: "requeue"; pick: number[] }
  | { kind: "resend"; from: number }
  | { kind: "annotate"; pick: number }
  | { kind: "restamp" }
  | { kind: "prune"; hours: number }
  | { kind: "read"; limit: number }
  | { kind: "poke" }
  | { kind: "fullGroup" }
  | { kind: "fullPut" }
  | { kind: "room" }
  | { kind: "trap" }
  | { kind: "untrap" }
  | { kind: "reopen" };

const pick = fc.array(fc.nat(40), { maxLength: 6 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: "alert" }),
  fc.constant<Op>({ kind: "event" }),
  fc.record({ kind: fc.constant("telemetry" as const), n: fc.integer({ min: 1, max: 5 }) }),
  fc.constant<Op>({ kind: "flush" }),
  fc.constant<Op>({ kind: "press" }),
  fc.constant<Op>({ kind: "throwingGroup" }),
  fc.record({ kind: fc.constant("mark" as const), pick }),
  fc.record({ kind: fc.constant("markLater" as const), pick }),
  fc.record({ kind: fc.constant("requeue" as const), pick }),
  fc.record({ kind: fc.constant("resend" as const), from: fc.nat(30) }),
  fc.record({ kind: fc.constant("annotate" as const), pick: fc.nat(40) }),
  fc.constant<Op>({ kind: "restamp" }),
  fc.record({ kind: fc.constant("prune" as const), hours: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ kind: fc.constant("read" as const), limit: fc.integer({ min: 1, max: 80 }) }),
  fc.constant<Op>({ kind: "poke" }),
  fc.constant<Op>({ kind: "fullGroup" }),
  fc.constant<Op>({ kind: "fullPut" }),
  fc.constant<Op>({ kind: "room" }),
  fc.constant<Op>({ kind: "trap" }),
  fc.constant<Op>({ kind: "untrap" }),
  fc.constant<Op>({ kind: "reopen" }),
);

type Raw = ReturnType<typeof lastOpened>;
const full = (raw: Raw) =>
  raw.pragma(`max_page_count = ${raw.pragma("page_count", { simple: true }) as number}`);
const NO_LIMIT = 1073741823;
const roomAgain = (raw: Raw) => raw.pragma(`max_page_count = ${NO_LIMIT}`);
const pageLimited = (raw: Raw) => raw.pragma("max_page_count", { simple: true }) !== NO_LIMIT;

/** What a reader sees of a stored message. */
const view = (outbox: SqliteOutbox, limit: number) =>
  outbox.pending(limit).map((m) => ({ seq: m.seq, id: m.id, lane: m.lane, type: m.type, json: m.json }));

describe("the pending mirror", () => {
  it("hands out what SQLite holds, whatever the outbox was asked to do", () => {
    // The same page read twice: as the outbox reads it, then with the mirror bypassed (from SQLite).
    const read = PendingMirror.prototype.read;
    let bypass = false;
    let answered = 0;
    const spy = vi.spyOn(PendingMirror.prototype, "read").mockImplementation(function (
      this: PendingMirror,
      n: number,
      lo: number,
      hi: number,
    ) {
      if (bypass) return undefined;
      const rows = read.call(this, n, lo, hi);
      if (rows) answered++;
      return rows;
    });
    let run = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const clock = new VirtualClock({ wallStartMs: Date.UTC(2026, 0, 1) });
        const path = join(dir, `run-${run++}.db`);
        const options = outboxOptions(path, { clock, ids: new SeededIds(path), telemetryBatch: 3 });
        let outbox = new SqliteOutbox(options);
        outbox.open();
        let raw = lastOpened();
        let n = 0;
        const seqs = () => outbox.pending(1000).map((m) => m.seq);
        const delivered = () => outbox.deliveredRange(0).map((m) => m.seq);
        const chosen = (all: number[], idx: number[]) => idx.map((i) => all[i % Math.max(1, all.length)]);
        try {
          for (const o of ops) {
            n++;
            switch (o.kind) {
              case "alert":
                outbox.putAlert(alertBody(alertId(n)));
                break;
              case "event":
                outbox.putEvent(eventBody(n));
                break;
              case "telemetry":
                for (let i = 0; i < o.n; i++) outbox.putTelemetry(telemetryBody(n * 10 + i));
                break;
              case "flush":
                outbox.flush();
                break;
              case "press":
                outbox.durably(() => {
                  outbox.kv.set("counter", String(n));
                  outbox.putAlert(alertBody(alertId(n)));
                  outbox.putEvent(eventBody(n));
                });
                break;
              case "throwingGroup":
                expect(() =>
                  outbox.durably(() => {
                    outbox.putEvent(eventBody(n));
                    throw new Error("the pipeline failed halfway");
                  }),
                ).toThrow("halfway");
                break;
              case "mark":
                outbox.markDelivered(chosen(seqs(), o.pick).filter((s) => s !== undefined));
                break;
              case "markLater":
                outbox.markDeliveredLater(chosen(seqs(), o.pick).filter((s) => s !== undefined));
                break;
              case "requeue":
                outbox.requeue(chosen(delivered(), o.pick).filter((s) => s !== undefined));
                break;
              case "resend":
                try {
                  outbox.resend(o.from, undefined, 5);
                } catch (e) {
                  // Refused while an earlier resend is still being delivered: nothing changed.
                  if (!isHearthError(e, ErrorCode.CommandBusy)) throw e;
                }
                break;
              case "annotate": {
                const s = chosen(seqs(), [o.pick])[0];
                if (s !== undefined) outbox.annotateQueued(s, "sms", { sent: n });
                break;
              }
              case "restamp":
                outbox.restamp((ms) => ms + 1000);
                break;
              case "prune":
                clock.advanceBy(o.hours * 3_600_000);
                outbox.prune();
                break;
              case "read":
                outbox.pending(o.limit);
                break;
              case "fullGroup":
                // The disk fills in the middle of a press: the group's transaction is rolled back and
                // its rows held in memory (written back at "room").
                outbox.durably(() => {
                  outbox.putAlert(alertBody(alertId(n)));
                  full(raw);
                  outbox.putEvent({ ...eventBody(n), data: { note: "x".repeat(64 * 1024) } });
                });
                break;
              case "fullPut":
                full(raw);
                outbox.putEvent({ ...eventBody(n), data: { note: "x".repeat(64 * 1024) } });
                break;
              case "room":
                roomAgain(raw);
                outbox.checkStorage();
                break;
              case "trap":
                // Every commit of an event or telemetry refused at COMMIT (a deferred foreign key): its transaction rolls
                // back after the row was written, and the event is held in memory. Not while the disk
                // is full ("fullPut"): the trap's own tables need room.
                if (pageLimited(raw)) break;
                raw.pragma("foreign_keys = ON");
                raw.exec(`CREATE TABLE IF NOT EXISTS nowhere (id INTEGER PRIMARY KEY);
                  CREATE TABLE IF NOT EXISTS trap (x INTEGER REFERENCES nowhere (id) DEFERRABLE INITIALLY DEFERRED);
                  CREATE TRIGGER IF NOT EXISTS trap_event AFTER INSERT ON messages WHEN NEW.type IN ('event', 'telemetry')
                    BEGIN INSERT INTO trap VALUES (1); END;`);
                break;
              case "untrap":
                raw.exec("DROP TRIGGER IF EXISTS trap_event");
                outbox.checkStorage();
                break;
              case "poke":
                raw.prepare("UPDATE messages SET id = id WHERE seq = (SELECT MAX(seq) FROM messages)").run();
                raw.prepare("DELETE FROM pending WHERE seq = (SELECT MIN(seq) FROM pending)").run();
                break;
              case "reopen":
                outbox.close();
                outbox = new SqliteOutbox(options);
                outbox.open();
                raw = lastOpened();
                break;
            }
            for (const limit of [1, 3, 1000]) {
              const handedOut = view(outbox, limit);
              bypass = true;
              const stored = view(outbox, limit);
              bypass = false;
              expect(handedOut).toEqual(stored);
            }
          }
        } finally {
          outbox.close();
        }
      }),
      { numRuns: 150 },
    );
    spy.mockRestore();
    // Not vacuous: most pages came from the mirror.
    expect(answered).toBeGreaterThan(1000);
  });

  it("forgets what a transaction told it when the transaction rolls back", () => {
    const db = new OutboxDb(join(dir, "rollback.db"));
    db.open();
    const insert = db.stmt(
      "INSERT INTO messages (seq, id, lane, type, wall_ms, synced, bytes, envelope) VALUES (?, ?, 1, 'event', 0, 1, 10, ?)",
    );
    insert.run(1, "id-1", '{"seq":1}');
    expect(delivery.pending(db, 10).map((m) => m.seq)).toEqual([1]);
    expect(db.mirror.known).toBe(true);
    // One transaction marks row 1 delivered and writes row 2, as a telemetry commit with deferred
    // marks does, then fails: the file keeps row 1 pending, and the number of pending keys is the same.
    expect(() =>
      db.atomic(() => {
        delivery.markRuns(db, [1]);
        insert.run(2, "id-2", '{"seq":2}');
        db.mirror.appended([{ resend: 0, lane: 1, row: pendingRow(2, "id-2", 1, "event", '{"seq":2}') }]);
        throw new Error("the commit failed");
      }),
    ).toThrow("the commit failed");
    expect(db.mirror.known).toBe(false);
    expect(delivery.pending(db, 10).map((m) => m.seq)).toEqual([1]);
    db.close();
  });
});
